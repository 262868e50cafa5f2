import { GantryError } from "@gantry/platform/errors";
import { buildAgentOptions, type AgentOptions, type MachineFacts, type RawAgentOptions } from "./domain/index.ts";
import { probeMachine } from "./adapters/machine-probe.ts";
import { compileEndpointSettings } from "./domain/exec-endpoint-options.ts";

/**
 * Compiles raw agent options once, at the edge: fills defaults from the machine (probed
 * unless `machine` is given, which is how tests pin them) and validates everything.
 * Throws GantryError InvalidArgument naming every bad option (`--cpus: "-1" is not …`),
 * with one violation per option path.
 */
export function compileAgentOptions(raw: RawAgentOptions, machine: MachineFacts = probeMachine(raw)): AgentOptions {
  const compiled = buildAgentOptions(raw, machine);
  const endpoint = compileEndpointSettings(raw, compiled.ok ? compiled.options.hostname : machine.hostname);
  if (compiled.ok && endpoint.violations.length === 0) return endpoint.settings ? { ...compiled.options, endpoint: endpoint.settings } : compiled.options;
  const violations = [...(compiled.ok ? [] : compiled.violations), ...endpoint.violations];
  const text = violations.map((v) => `--${flagName(v.path)}: ${v.errors.join("; ")}`).join("; ");
  throw new GantryError("InvalidArgument", `invalid agent options: ${text}`, { violations });
}

function flagName(path: string): string {
  return path.slice(1).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
