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

/** How long one CLI run may take before it is killed. */
const CLI_TIMEOUT_MS = 60_000;

/**
 * Runs the real `gantry` command in a child process (the same Node), with `env`, and an optional
 * stdin. A run past CLI_TIMEOUT_MS is killed and ends with code 124 and a stderr line saying so.
 */
export function runGantry(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = execFile(process.execPath, [GANTRY_BIN, ...args], { env, timeout: CLI_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err && (err as { killed?: boolean }).killed && Date.now() - started >= CLI_TIMEOUT_MS) {
        resolve({ code: 124, stdout, stderr: `${stderr}\n[runGantry] timed out after ${CLI_TIMEOUT_MS} ms waiting for \`gantry ${args.join(" ")}\` to exit\n` });
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}
