import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, within } from "@gantry/platform/testing";
import { buildTaskLauncher } from "../testing/task-launcher-build.ts";
import { joinArgv } from "./exec-join.os.ts";

let dir = "";
before(() => {
  buildTaskLauncher();
  dir = mkdtempSync(join(tmpdir(), "gantry-exec-join-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The state letter of `pid` (R, S, Z…), or undefined once it is gone. */
function stateOf(pid: number): string | undefined {
  try {
    return /\) (\S) /.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

test("an exec's command dies with the process that started it (the agent): killed, not left running", async () => {
  // This test process stands for the task (joining its own cgroups and namespaces changes
  // nothing); a shell stands for the agent and is killed as `kill -9` would kill the agent.
  const argv = joinArgv({ pid: process.pid, user: undefined, sandbox: dir }, ["sleep", "1000"]);
  const starter = spawn("sh", ["-c", '"$@" & echo $!; wait', "sh", ...argv], { stdio: ["ignore", "pipe", "inherit"] });
  let commandPid = 0;
  try {
    const line = await within("the command's pid", new Promise<string>((resolve) => starter.stdout.once("data", (d: Buffer) => resolve(String(d)))), 10_000);
    commandPid = Number(line.trim());
    assert.ok(commandPid > 1, `a pid, not ${JSON.stringify(line)}`);
    await eventually("the launcher to exec the command", () => readFileSync(`/proc/${commandPid}/comm`, "utf8").trim() === "sleep" || undefined, 10_000, 10);
    starter.kill("SIGKILL");
    // Gone, or a zombie that nobody reaps (no init in a container): either way no longer running.
    await eventually("the command to be killed with its starter", () => {
      const state = stateOf(commandPid);
      return state === undefined || state === "Z" || undefined;
    }, 10_000, 10);
  } finally {
    starter.kill("SIGKILL");
    if (commandPid > 1 && stateOf(commandPid) !== undefined) {
      try {
        process.kill(commandPid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
});
