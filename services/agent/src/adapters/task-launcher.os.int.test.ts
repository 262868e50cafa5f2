/**
 * gantry-task-launcher's privileged steps for real (root: cgroups v1, a network namespace, a
 * user): `run` puts the task, and only the task, in its cgroups and namespace as its user;
 * `join` puts a command where a task is (what `gantry task exec` relies on), and exits 125 when
 * it cannot. Everything made here (groups, namespace, processes) is removed at the end.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmdirSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, within } from "@gantry/platform/testing";
import { probeMachine } from "../index.ts";
import { buildTaskLauncher } from "../testing/task-launcher-build.ts";
import { launcherJoinArgs, launcherRunArgs } from "./task-launcher.ts";

const machine = probeMachine();
const v1 = machine.cgroups?.version === 1 ? machine.cgroups : undefined;
const skip = process.getuid?.() !== 0 ? "needs root" : v1 === undefined ? "needs cgroups v1 (cpu and memory hierarchies)" : false;

const name = `gantry-launcher-test-${randomBytes(3).toString("hex")}`;
const groups = v1 ? [join(v1.cpuRoot, name), join(v1.memoryRoot, name)] : [];
const netnsPath = `/run/netns/${name}`;
let launcher = "";
let dir = "";
let running: ChildProcess | undefined;

/** The cgroup path of `pid` in the hierarchy named `controller` (from /proc/<pid>/cgroup). */
function cgroupOf(pid: number | "self", controller: string): string | undefined {
  const line = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => l.split(":")[1]?.split(",").includes(controller));
  return line?.split(":")[2];
}

before(() => {
  if (skip) return;
  launcher = buildTaskLauncher();
  dir = mkdtempSync(join(tmpdir(), "gantry-launcher-os-"));
  for (const g of groups) mkdirSync(g);
  const made = spawnSync("ip", ["netns", "add", name], { encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
});

after(async () => {
  if (skip) return;
  running?.kill("SIGKILL");
  for (const g of groups) {
    await eventually(`cgroup ${g} to empty and go`, () => {
      if (!existsSync(g)) return true;
      for (const pid of readFileSync(join(g, "cgroup.procs"), "utf8").split("\n").filter((l) => l !== "")) process.kill(Number(pid), "SIGKILL");
      rmdirSync(g);
      return true;
    }, 10_000);
  }
  spawnSync("ip", ["netns", "del", name]);
  rmSync(dir, { recursive: true, force: true });
});

describe("gantry-task-launcher as root", { skip }, () => {
  it("run: the task (not the launcher) joins its cgroups and network namespace as its user; join: a command lands in the same place; SIGTERM still ends with a recorded status", async () => {
    const pidFile = join(dir, "pid");
    const exitFile = join(dir, "exit");
    running = spawn(launcher, launcherRunArgs({ pidFile, exitFile, cgroupProcs: groups.map((g) => join(g, "cgroup.procs")), netns: netnsPath, user: "nobody", argv: ["sleep", "600"] }), { stdio: ["ignore", "ignore", "pipe"], detached: true });
    const exited = new Promise<number | null>((resolve) => running!.once("exit", (code) => resolve(code)));
    const launcherPid = running.pid!;
    const task = await eventually("the task to run sleep", () => {
      const [t] = readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, "utf8").trim().split(" ").filter((s) => s !== "").map(Number);
      return t !== undefined && readFileSync(`/proc/${t}/cmdline`, "utf8").startsWith("sleep") ? t : undefined;
    }, 10_000);
    assert.equal(readFileSync(pidFile, "utf8"), `${launcherPid}\n`);

    assert.equal(cgroupOf(task, "cpu"), `/${name}`);
    assert.equal(cgroupOf(task, "memory"), `/${name}`);
    assert.equal(cgroupOf(launcherPid, "memory"), cgroupOf("self", "memory"), "the launcher stays where the agent is: a kill of everything in the task's groups leaves it to record the status");
    assert.equal(readFileSync(`/proc/${task}/status`, "utf8").match(/^Uid:\s+(\d+)/m)?.[1], "65534");
    const taskNet = readlinkSync(`/proc/${task}/ns/net`);
    assert.notEqual(taskNet, readlinkSync("/proc/self/ns/net"));

    const joined = spawnSync(launcher, launcherJoinArgs({ pid: task, user: "nobody", cwd: "/", argv: ["/bin/sh", "-c", "cat /proc/self/cgroup; id -u; pwd; readlink /proc/self/ns/net"] }), { encoding: "utf8" });
    assert.equal(joined.status, 0, joined.stderr);
    const out = joined.stdout;
    assert.match(out, new RegExp(`^\\d+:cpu:/${name}$`, "m"));
    assert.match(out, new RegExp(`^\\d+:memory:/${name}$`, "m"));
    assert.match(out, /^65534$/m);
    assert.match(out, /^\/$/m);
    assert.ok(out.includes(taskNet), "in the task's network namespace");

    // A caller that may not write the task's cgroup.procs cannot join: 125, nothing runs.
    const marker = join(dir, "ran");
    const refused = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", launcher, ...launcherJoinArgs({ pid: task, argv: ["touch", marker] })], { encoding: "utf8" });
    assert.equal(refused.status, 125, refused.stderr);
    assert.match(refused.stderr, new RegExp(`gantry-task-launcher: cannot join cgroup (cpu|memory) of pid ${task} .*Permission denied`));
    assert.equal(existsSync(marker), false);

    process.kill(launcherPid, "SIGTERM");
    assert.equal(await within("the launcher to exit", exited, 10_000), 143);
    assert.equal(readFileSync(exitFile, "utf8"), "143\n");
    running = undefined;
  });
});
