import { GantryError } from "@gantry/platform/errors";
import { buildAgentOptions, type AgentOptions, type MachineFacts, type RawAgentOptions } from "./domain/index.ts";
import { probeMachine } from "./adapters/machine-probe.ts";

/**
 * Compiles raw agent options once, at the edge: fills defaults from the machine (probed
 * unless `machine` is given, which is how tests pin them) and validates everything.
 * Throws GantryError InvalidArgument naming every bad option (`--cpus: "-1" is not …`),
 * with one violation per option path.
 */
export function compileAgentOptions(raw: RawAgentOptions, machine: MachineFacts = probeMachine(raw)): AgentOptions {
  const compiled = buildAgentOptions(raw, machine);
  if (compiled.ok) return compiled.options;
  const text = compiled.violations.map((v) => `--${flagName(v.path)}: ${v.errors.join("; ")}`).join("; ");
  throw new GantryError("InvalidArgument", `invalid agent options: ${text}`, { violations: compiled.violations });
}

function flagName(path: string): string {
  return path.slice(1).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
