import { readFile } from "node:fs/promises";
import type { JsonObject } from "@bufbuild/protobuf";
import { GantryError } from "@gantry/platform";

/** Reads a JSON document from a file, or from stdin when the path is "-" or absent; errors name the source. */
export async function readJsonInput(file: string | undefined): Promise<unknown> {
  const source = sourceName(file);
  let text: string;
  try {
    text = source === "stdin" ? await readStdin() : await readFile(source, "utf8");
  } catch (err) {
    throw new GantryError("InvalidArgument", `cannot read ${source}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GantryError("InvalidArgument", `${source} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Reads a definition (an app, pod or group) with `readJsonInput`; it must be one JSON object.
 * Throws InvalidArgument (exit 2) naming the source otherwise.
 */
export async function readDefinition(file: string | undefined): Promise<JsonObject> {
  const value = await readJsonInput(file);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const found = Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
    throw new GantryError("InvalidArgument", `${sourceName(file)} must hold one JSON object (a definition), not ${found}`);
  }
  return value as JsonObject;
}

function sourceName(file: string | undefined): string {
  return file === undefined || file === "-" ? "stdin" : file;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("reading JSON from stdin (end with Ctrl-D)…\n");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
