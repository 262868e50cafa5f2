import { readFile } from "node:fs/promises";
import { GantryError } from "@gantry/platform";

/** All of stdin, without its trailing newline (`--password-stdin`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/**
 * A password: from stdin with `--password-stdin`, else asked for on the terminal (not echoed),
 * never from the command line (where `ps` and shell history would keep it).
 */
export async function readPassword(opts: { passwordStdin?: boolean }, prompt: string): Promise<string> {
  if (opts.passwordStdin) return readStdin();
  if (!process.stdin.isTTY) throw new GantryError("InvalidArgument", "no terminal to ask for the password on: pipe it in with --password-stdin");
  const { default: password } = await import("@inquirer/password");
  return password({ message: prompt, mask: "*" });
}

/** A PEM file's text; InvalidArgument naming the flag when it cannot be read. */
export async function readPemFile(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new GantryError("InvalidArgument", `${flag} ${file}: ${(err as Error).message}`);
  }
}
