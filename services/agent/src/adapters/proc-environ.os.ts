import { readFileSync } from "node:fs";

/**
 * The environment process `pid` was started with (`/proc/<pid>/environ`); {} when it is gone or
 * not ours to read. A task launcher's is its task's (the agent starts it with the task's).
 */
export function processEnvironment(pid: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  try {
    for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
      const eq = entry.indexOf("=");
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } catch {
    // gone, or not ours to read
  }
  return env;
}
