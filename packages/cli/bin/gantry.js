#!/usr/bin/env node
// The `gantry` command. Runs the TypeScript sources directly on Node 24 (type stripping).
import { runCli } from "../src/main.ts";

process.exitCode = await runCli(process.argv);
