import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, within } from "@gantry/platform/testing";
import { buildTaskLauncher } from "../testing/task-launcher-build.ts";
import { isLauncherRun, launcherJoinArgs, launcherPath, launcherRunArgs, LAUNCHER_ENV } from "./task-launcher.ts";

let launcher = "";
let dir = "";
before(() => {
  launcher = buildTaskLauncher();
  dir = mkdtempSync(join(tmpdir(), "gantry-launcher-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Whether `pid` is a live (not zombie) process. */
function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** The children of `pid` (/proc/<pid>/task/<pid>/children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter((s) => s.trim() !== "").map(Number);
  } catch {
    return [];
  }
}

/** The task process a launcher started (its child running `sleep`), once it exec'd. */
function taskOf(launcherPid: number): Promise<number> {
  return eventually(`the task of launcher ${launcherPid} to run sleep`, () => {
    const [t] = childrenOf(launcherPid);
    if (t === undefined) return undefined;
    return readFileSync(`/proc/${t}/cmdline`, "utf8").startsWith("sleep") ? t : undefined;
  }, 10_000);
}

function files(name: string) {
  return { pidFile: join(dir, `${name}.pid`), exitFile: join(dir, `${name}.exit`) };
}

describe("gantry-task-launcher: command line", () => {
  const cases: [string, string[], RegExp][] = [
    ["no mode", [], /no mode: run, join or serve/],
    ["an unknown mode", ["start"], /unknown mode "start"/],
    ["run without --pid-file", ["run", "--exit-file", "e", "--", "true"], /option --pid-file is required/],
    ["run without --exit-file", ["run", "--pid-file", "p", "--", "true"], /option --exit-file is required/],
    ["run with an unknown option", ["run", "--pid-file", "p", "--exit-file", "e", "--cgroup", "x", "--", "true"], /unknown option --cgroup/],
    ["run with an option missing its value", ["run", "--pid-file", "p", "--exit-file", "e", "--user"], /option --user needs a value/],
    ["run with an option given twice", ["run", "--pid-file", "p", "--pid-file", "q", "--exit-file", "e", "--", "true"], /option --pid-file is given twice/],
    ["run with an empty --netns", ["run", "--pid-file", "p", "--exit-file", "e", "--netns", "", "--", "true"], /option --netns needs a non-empty value/],
    ["run without a command", ["run", "--pid-file", "p", "--exit-file", "e", "--"], /no command: put it after --/],
    ["run with a --deny-device that is no device", ["run", "--pid-file", "p", "--exit-file", "e", "--deny-device", "c 195", "--", "true"], /option --deny-device: "c 195" is not a device/],
    ["run with the command not after --", ["run", "--pid-file", "p", "--exit-file", "e", "true"], /unexpected argument "true": put the command after --/],
    ["join without --pid", ["join", "--", "true"], /option --pid is required/],
    ["join with a --pid that is no pid", ["join", "--pid", "12x", "--", "true"], /option --pid: "12x" is not a process id/],
    ["join with pid 0", ["join", "--pid", "0", "--", "true"], /option --pid: "0" is not a process id/],
    ["join with an empty --cwd", ["join", "--pid", "1", "--cwd", "", "--", "true"], /option --cwd needs a non-empty value/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what}: exit 125, one line naming the problem, the usage, nothing run or written`, () => {
      const cwd = mkdtempSync(join(dir, "args-"));
      const r = spawnSync(launcher, args, { cwd, encoding: "utf8" });
      assert.equal(r.status, 125, r.stderr);
      assert.match(r.stderr, new RegExp(`^gantry-task-launcher: ${message.source}`));
      assert.match(r.stderr, /usage: gantry-task-launcher run/);
      assert.equal(existsSync(join(cwd, "p")) || existsSync(join(cwd, "e")), false, "no pid or exit file");
    });
  }
});

describe("gantry-task-launcher run", () => {
  it("writes its own pid first, runs the command as its child in a session of its own, records and returns its exit status", () => {
    const f = files("exit7");
    const r = spawnSync(launcher, launcherRunArgs({ ...f, cgroupProcs: [], argv: ["/bin/sh", "-c", 'echo "$1 $(ps -o sid= -p $$) $$"; exit 7', "sh", "a b"] }), { encoding: "utf8" });
    assert.equal(r.status, 7, r.stderr);
    const [arg1, arg2, sid, pid] = r.stdout.trim().split(/\s+/);
    assert.equal(`${arg1} ${arg2}`, "a b");
    assert.equal(sid, pid, "the task leads its own session (and so its own process group)");
    assert.notEqual(Number(pid), r.pid);
    assert.equal(readFileSync(f.pidFile, "utf8"), `${r.pid}\n`, "the launcher's own pid");
    assert.equal(readFileSync(f.exitFile, "utf8"), "7\n");
    assert.equal(existsSync(`${f.exitFile}.tmp`) || existsSync(`${f.pidFile}.tmp`), false, "written through a temporary file, renamed");
  });

  it("records 127 when the command does not exist, 126 when it cannot be executed, saying why on stderr", () => {
    const f = files("exec");
    const missing = spawnSync(launcher, launcherRunArgs({ ...f, cgroupProcs: [], argv: ["no-such-command-gantry"] }), { encoding: "utf8" });
    assert.equal(missing.status, 127);
    assert.match(missing.stderr, /cannot execute no-such-command-gantry: No such file or directory/);
    assert.equal(readFileSync(f.exitFile, "utf8"), "127\n");
    const notExecutable = join(dir, "not-executable");
    writeFileSync(notExecutable, "#!/bin/sh\n");
    chmodSync(notExecutable, 0o644);
    const denied = spawnSync(launcher, launcherRunArgs({ ...f, cgroupProcs: [], argv: [notExecutable] }), { encoding: "utf8" });
    assert.equal(denied.status, 126);
    assert.equal(readFileSync(f.exitFile, "utf8"), "126\n");
  });

  it("runs nothing when it cannot join a cgroup or enter the namespace: status 125, recorded, the reason on stderr", () => {
    const f = files("join");
    const marker = join(dir, "ran");
    const cgroup = spawnSync(launcher, launcherRunArgs({ ...f, cgroupProcs: [join(dir, "no/such/cgroup.procs")], argv: ["/usr/bin/touch", marker] }), { encoding: "utf8" });
    assert.equal(cgroup.status, 125);
    assert.match(cgroup.stderr, /cannot join cgroup .*no\/such\/cgroup\.procs: No such file or directory/);
    assert.equal(readFileSync(f.pidFile, "utf8"), `${cgroup.pid}\n`, "the pid is written before the join is tried");
    assert.equal(readFileSync(f.exitFile, "utf8"), "125\n");
    const netns = spawnSync(launcher, launcherRunArgs({ ...f, cgroupProcs: [], netns: join(dir, "no-such-netns"), argv: ["/usr/bin/touch", marker] }), { encoding: "utf8" });
    assert.equal(netns.status, 125);
    assert.match(netns.stderr, /cannot open network namespace .*no-such-netns/);
    assert.equal(existsSync(marker), false, "the command never ran");
  });

  it("forwards SIGTERM to the task's process group and survives it to record the status the task ended with", async () => {
    const f = files("term");
    const ready = join(dir, "term-ready");
    // The task traps SIGTERM and exits 3; its background child (same group) gets the SIGTERM too.
    const child = spawn(launcher, launcherRunArgs({ ...f, cgroupProcs: [], argv: ["/bin/sh", "-c", `sleep 600 & trap 'kill $!; exit 3' TERM; touch ${ready}; wait`] }), { stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await eventually("the task to trap SIGTERM", () => existsSync(ready), 10_000);
      process.kill(child.pid!, "SIGTERM");
      assert.equal(await within("the launcher to exit", exited, 10_000), 3, "the launcher exits with the task's status, not by the signal");
      assert.equal(readFileSync(f.exitFile, "utf8"), "3\n");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("records 128+signal when the task is killed (SIGKILL to the task's group leaves the launcher alive)", async () => {
    const f = files("kill");
    const child = spawn(launcher, launcherRunArgs({ ...f, cgroupProcs: [], argv: ["sleep", "600"] }), { stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const task = await taskOf(child.pid!);
      process.kill(-task, "SIGKILL");
      assert.equal(await within("the launcher to exit", exited, 10_000), 137);
      assert.equal(readFileSync(f.exitFile, "utf8"), "137\n");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("kills what the task left behind when its first process ends: its group and the orphans that left it (setsid)", () => {
    const f = files("leftovers");
    const inGroup = join(dir, "leftover-in-group");
    const ownSession = join(dir, "leftover-own-session");
    // One child stays in the group, one starts a session of its own; each writes its own pid
    // (then execs sleep), and the task's shell exits once both have.
    const script = [
      `/bin/sh -c 'echo $$ > ${inGroup}; exec sleep 600' &`,
      `setsid /bin/sh -c 'echo $$ > ${ownSession}; exec sleep 600' &`,
      `while [ ! -s ${inGroup} ] || [ ! -s ${ownSession} ]; do sleep 0.05; done`,
      "exit 0",
    ].join("\n");
    const r = spawnSync(launcher, launcherRunArgs({ ...f, cgroupProcs: [], argv: ["/bin/sh", "-c", script] }), { stdio: "ignore", timeout: 20_000 });
    assert.equal(r.status, 0);
    assert.equal(readFileSync(f.exitFile, "utf8"), "0\n");
    for (const file of [inGroup, ownSession]) {
      const pid = Number(readFileSync(file, "utf8"));
      assert.equal(alive(pid), false, `${file}: process ${pid} was killed`);
    }
  });

  it("takes its task with it when it is killed itself (SIGKILL): no unsupervised task", async () => {
    const f = files("pdeath");
    const child = spawn(launcher, launcherRunArgs({ ...f, cgroupProcs: [], argv: ["sleep", "600"] }), { stdio: "ignore" });
    const task = await taskOf(child.pid!);
    child.kill("SIGKILL");
    await eventually(`task ${task} to die with its launcher`, () => !alive(task), 10_000);
    assert.equal(existsSync(f.exitFile), false, "nothing recorded: the agent learns it from the missing status");
  });
});

describe("gantry-task-launcher join", () => {
  it("runs the command in the directory given with the environment it was given, exiting with its status", async () => {
    const target = spawn("sleep", ["600"], { stdio: "ignore" });
    try {
      const r = spawnSync(launcher, launcherJoinArgs({ pid: target.pid!, cwd: dir, argv: ["/bin/sh", "-c", 'echo "$(pwd) $GANTRY_JOIN_TEST"; exit 4'] }), { encoding: "utf8", env: { ...process.env, GANTRY_JOIN_TEST: "given" } });
      assert.equal(r.status, 4, r.stderr);
      assert.equal(r.stdout, `${dir} given\n`);
    } finally {
      target.kill("SIGKILL");
    }
  });

  it("exits 125 naming the problem when there is no such process or directory", () => {
    const gone = spawnSync("true").pid!;
    const r = spawnSync(launcher, launcherJoinArgs({ pid: gone, argv: ["true"] }), { encoding: "utf8" });
    assert.equal(r.status, 125);
    assert.match(r.stderr, new RegExp(`no process ${gone} to join`));
    const cwd = spawnSync(launcher, launcherJoinArgs({ pid: process.pid, cwd: join(dir, "missing"), argv: ["true"] }), { encoding: "utf8" });
    assert.equal(cwd.status, 125);
    assert.match(cwd.stderr, /cannot change directory to .*missing: No such file or directory/);
  });
});

describe("launcherPath", () => {
  it("uses GANTRY_TASK_LAUNCHER when set, and says what is wrong with it when it is not executable", () => {
    assert.equal(launcherPath({ [LAUNCHER_ENV]: launcher }), launcher);
    assert.throws(() => launcherPath({ [LAUNCHER_ENV]: join(dir, "none") }), /GANTRY_TASK_LAUNCHER=.*none is not an executable file/);
    assert.equal(launcherPath({}), launcher, "else the built one");
  });

  it("tells launchers in run mode from other processes by their command line", () => {
    assert.equal(isLauncherRun([launcher, "run", "--pid-file", "p"]), true);
    assert.equal(isLauncherRun(["gantry-task-launcher", "run"]), true);
    assert.equal(isLauncherRun([launcher, "join", "--pid", "1"]), false);
    assert.equal(isLauncherRun(["/bin/sh", "-c", "x", "gantry-task"]), false);
  });
});
