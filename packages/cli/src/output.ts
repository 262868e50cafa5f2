import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { GantryError } from "@gantry/platform";

/** Options every command takes. */
export interface OutputOptions {
  json?: boolean;
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** A protobuf message as its canonical JSON, for `--json` output. */
export function messageJson<D extends DescMessage>(schema: D, message: MessageShape<D>): unknown {
  return toJson(schema, message);
}

/**
 * Prints an error for a human (message, then each invalid field with its path) and returns
 * the exit code: 2 for bad input, 1 otherwise.
 */
export function reportError(err: unknown): number {
  if (err instanceof GantryError) {
    process.stderr.write(`error: ${err.message}\n`);
    for (const v of err.violations) process.stderr.write(`  ${v.path}: ${v.errors.join("; ")}\n`);
    return err.code === "InvalidArgument" ? 2 : 1;
  }
  process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
  return 1;
}
