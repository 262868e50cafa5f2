import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { TASK_ID_PATTERN } from "../domain/index.ts";

/** Writes `value` as JSON to `file` atomically (temp file + rename): a reader sees the old or the new, never half. */
export function writeJsonAtomically(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${file}.tmp`, file);
}

/** The entries of `root` named like task and instance ids (a sandbox or instance each); [] when `root` does not exist yet. */
export function idDirectories(root: string): string[] {
  try {
    return readdirSync(root).filter((n) => TASK_ID_PATTERN.test(n));
  } catch {
    return [];
  }
}

/** `parse` of the file's text; undefined when the file is missing or unreadable. */
export function readParsed<T>(file: string, parse: (text: string) => T | undefined): T | undefined {
  try {
    return parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}
