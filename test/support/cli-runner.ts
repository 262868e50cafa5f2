import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const GANTRY_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../packages/cli/bin/gantry.js");

/** What a CLI run printed and how it ended. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `gantry` command in a child process (the same Node), with `env`, and an optional stdin. */
export function runGantry(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [GANTRY_BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}
