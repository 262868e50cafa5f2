import { readFile } from "node:fs/promises";
import { GantryError } from "@gantry/platform";

/** Reads a JSON document from a file, or from stdin when the path is "-" or absent; errors name the source. */
export async function readJsonInput(file: string | undefined): Promise<unknown> {
  const source = file === undefined || file === "-" ? "stdin" : file;
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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
