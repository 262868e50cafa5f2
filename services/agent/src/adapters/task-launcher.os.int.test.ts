/**
 * gantry-task-launcher's privileged steps for real (root: cgroups v1, a network namespace, a
 * user): `run` puts the task, and only the task, in its cgroups and namespace as its user;
 * `join` puts a command where a task is (what `gantry task exec` relies on), and exits 125 when
 * it cannot; on cgroup v2, `--deny-device` keeps the task from a device (a BPF device program on
 * its group: what keeps a task from the GPUs it was not given), also when the agent's process
 * runtime starts it. The v2 hierarchy is the machine's where one is mounted, else one mounted
 * here at a temporary path. Everything made here (groups, namespace, mounts, processes) is
 * removed at the end.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmdirSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, within } from "@gantry/platform/testing";
import { probeMachine } from "../index.ts";
import { buildTaskLauncher } from "../testing/task-launcher-build.ts";
import { launcherJoinArgs, launcherRunArgs } from "./task-launcher.ts";
import { osProcessRuntime } from "./process-runtime.os.ts";

const machine = probeMachine();
const v1 = machine.cgroups?.version === 1 ? machine.cgroups : undefined;
const skip = process.getuid?.() !== 0 ? "needs root" : v1 === undefined ? "needs cgroups v1 (cpu and memory hierarchies)" : false;

const name = `gantry-launcher-test-${randomBytes(3).toString("hex")}`;
const groups = v1 ? [join(v1.cpuRoot, name), join(v1.memoryRoot, name)] : [];
const netnsPath = `/run/netns/${name}`;
let launcher = "";
let dir = "";
let running: ChildProcess | undefined;
/** A cgroup v2 hierarchy: the machine's, or one mounted by the test (`mounted`). */
let v2Root = "";
let mounted = false;
const v2Group = () => join(v2Root, name);

/** Where a cgroup2 file system is mounted (/proc/self/mountinfo), if anywhere. */
function cgroup2Mount(): string | undefined {
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    if (right?.startsWith("cgroup2 ")) return left!.split(" ")[4];
  }
  return undefined;
}

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
  const existing = cgroup2Mount();
  if (existing) v2Root = existing;
  else {
    v2Root = mkdtempSync(join(tmpdir(), "gantry-cgroup2-"));
    execFileSync("mount", ["-t", "cgroup2", "none", v2Root]);
    mounted = true;
  }
  mkdirSync(v2Group());
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
  if (v2Root !== "") {
    await eventually(`cgroup ${v2Group()} to empty and go`, () => {
      if (!existsSync(v2Group())) return true;
      for (const pid of readFileSync(join(v2Group(), "cgroup.procs"), "utf8").split("\n").filter((l) => l !== "")) process.kill(Number(pid), "SIGKILL");
      rmdirSync(v2Group());
      return true;
    }, 10_000);
    if (mounted) {
      execFileSync("umount", [v2Root]);
      rmdirSync(v2Root);
    }
  }
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

  it("run --deny-device on a cgroup v2 group: the task cannot open that device and can open the others; the agent's runtime passes its denials only on v2", async () => {
    const procs = join(v2Group(), "cgroup.procs");
    const probe = 'head -c1 /dev/zero >/dev/null && echo zero-ok; head -c1 /dev/full >/dev/null && echo full-ok; exit 0';
    const denied = spawnSync(launcher, launcherRunArgs({ pidFile: join(dir, "dev.pid"), exitFile: join(dir, "dev.exit"), cgroupProcs: [procs], deniedDevices: ["c 1:7 rwm"], argv: ["/bin/sh", "-c", probe] }), { encoding: "utf8" });
    assert.equal(denied.status, 0, denied.stderr);
    assert.equal(denied.stdout, "zero-ok\n", "/dev/full (c 1:7) is denied, /dev/zero (c 1:5) is not");
    assert.match(denied.stderr, /\/dev\/full.*Operation not permitted/);

    // A command joined into a task of that group (exec) is in the v2 group, and so filtered too.
    const holder = spawn(launcher, launcherRunArgs({ pidFile: join(dir, "hold.pid"), exitFile: join(dir, "hold.exit"), cgroupProcs: [procs], argv: ["sleep", "600"] }), { stdio: "ignore", detached: true });
    try {
      const task = await eventually("the holder's task to run sleep", () => {
        const [t] = readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, "utf8").trim().split(" ").filter((x) => x !== "").map(Number);
        return t !== undefined && readFileSync(`/proc/${t}/cmdline`, "utf8").startsWith("sleep") ? t : undefined;
      }, 10_000);
      const joined = spawnSync(launcher, launcherJoinArgs({ pid: task, argv: ["/bin/sh", "-c", `grep '^0::' /proc/self/cgroup; ${probe}`] }), { encoding: "utf8" });
      assert.equal(joined.status, 0, joined.stderr);
      assert.equal(joined.stdout, `0::/${name}\nzero-ok\n`);
    } finally {
      holder.kill("SIGTERM");
      await within("the holder to exit", new Promise((r) => (holder.exitCode !== null ? r(undefined) : holder.once("exit", r))), 10_000);
    }

    // Through the agent's process runtime, in a fresh v2 group: the same.
    const fresh = join(v2Root, `${name}-rt`);
    mkdirSync(fresh);
    try {
      const runtime = osProcessRuntime({ launcher });
      const sandbox = join(dir, "rt");
      mkdirSync(join(sandbox, ".gantry"), { recursive: true });
      const paths = { sandbox, stdout: join(sandbox, "stdout"), stderr: join(sandbox, "stderr"), exitStatusFile: join(sandbox, ".gantry", "exit-status"), pidFile: join(sandbox, ".gantry", "pid") };
      const p = await runtime.start({ argv: ["/bin/sh", "-c", probe], env: { PATH: "/usr/bin:/bin" }, paths, joinFiles: [join(fresh, "cgroup.procs")], deniedDevices: ["c 1:7 rwm"] });
      await within("the task to end", p.ended, 10_000);
      assert.equal(readFileSync(paths.stdout, "utf8"), "zero-ok\n");
      // On v1 (the task's groups are v1 here, or none) nothing is passed: the devices hierarchy does it there.
      const v1 = await runtime.start({ argv: ["/bin/sh", "-c", probe], env: { PATH: "/usr/bin:/bin" }, paths: { ...paths, stdout: join(sandbox, "stdout-v1") }, joinFiles: groups.map((g) => join(g, "cgroup.procs")), deniedDevices: ["c 1:7 rwm"] });
      await within("the task to end", v1.ended, 10_000);
      assert.equal(readFileSync(join(sandbox, "stdout-v1"), "utf8"), "zero-ok\nfull-ok\n");
    } finally {
      rmdirSync(fresh);
    }
  });
});
