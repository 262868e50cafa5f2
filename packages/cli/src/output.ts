import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { CommanderError } from "commander";
import { GantryError } from "@gantry/platform";
import { messageJson } from "./render/message-json.ts";

/** The `--json` switch every command takes. */
export interface OutputOptions {
  json?: boolean;
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/**
 * Prints a command's result: `json()` with `--json`, else the text `human()` renders (a trailing
 * newline is added). Only the one printed is computed.
 */
export function printView(opts: OutputOptions, json: () => unknown, human: () => string): void {
  if (opts.json) return printJson(json());
  const text = human();
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

/** `printView` of a protobuf message: its JSON as `messageJson` writes it (the tables' names and values), or `human()`. */
export function printResult<D extends DescMessage>(opts: OutputOptions, schema: D, message: MessageShape<D>, human: () => string): void {
  printView(opts, () => messageJson(schema, message), human);
}

/**
 * Prints an error for a human (message, then each invalid field with its path) and returns
 * the exit code: 2 for bad input (InvalidArgument, or a command line commander rejected),
 * 0 for `--help`/`--version` (commander printed them already), 1 otherwise.
 */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander has already written its message (and the usage hint) to stderr.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof GantryError) {
    process.stderr.write(`error: ${err.message}\n`);
    for (const v of err.violations) process.stderr.write(`  ${v.path}: ${v.errors.join("; ")}\n`);
    const blocking = lockingDeployments(err);
    if (blocking.length > 0) process.stderr.write(`hint: deployments ${blocking.join(", ")} are in the way; add --force to cancel them\n`);
    return err.code === "InvalidArgument" ? 2 : 1;
  }
  process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
  return 1;
}

/** The ids in a FailedPrecondition's `details.deployments` (a change blocked by running deployments). */
function lockingDeployments(err: GantryError): string[] {
  const found = err.code === "FailedPrecondition" ? err.details.deployments : undefined;
  if (!Array.isArray(found)) return [];
  return found.map((d) => (d as { id?: unknown })?.id).filter((id): id is string => typeof id === "string");
}
