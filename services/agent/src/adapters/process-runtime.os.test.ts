import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, within } from "@gantry/platform/testing";
import type { ProcessRuntime, SandboxPaths } from "../app/ports.ts";
import { buildTaskLauncher } from "../testing/task-launcher-build.ts";
import { osProcessRuntime } from "./process-runtime.os.ts";
import { launcherRunArgs } from "./task-launcher.ts";

let launcher = "";
let root = "";
let runtime: ProcessRuntime;
const started: number[] = [];

before(() => {
  launcher = buildTaskLauncher();
  root = mkdtempSync(join(tmpdir(), "gantry-runtime-"));
  // The fallback look is made an hour long: a watch that ends must have been woken by the event.
  runtime = osProcessRuntime({ launcher, watchFallbackMs: 3_600_000 });
});

after(() => {
  runtime.close();
  for (const pid of started) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  rmSync(root, { recursive: true, force: true });
});

/** A sandbox laid out as the agent's sandbox store does. */
function sandbox(name: string): SandboxPaths {
  const dir = join(root, name);
  mkdirSync(join(dir, ".gantry"), { recursive: true });
  return { sandbox: dir, stdout: join(dir, "stdout"), stderr: join(dir, "stderr"), exitStatusFile: join(dir, ".gantry", "exit-status"), pidFile: join(dir, ".gantry", "pid") };
}

/**
 * A launcher of a task that would create `marker`, blocked before its pid is on file (and so
 * before it forks): the pid file's temporary file is a FIFO nobody reads.
 */
async function launcherBlockedBeforeItsPid(name: string) {
  const paths = sandbox(name);
  spawnSync("mkfifo", [`${paths.pidFile}.tmp`]);
  const marker = join(paths.sandbox, "ran");
  const p = await runtime.start({ argv: ["/usr/bin/touch", marker], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, paths, joinFiles: [] });
  started.push(p.pid);
  await eventually("the launcher to block on its pid file", () => readFileSync(`/proc/${p.pid}/wchan`, "utf8").includes("fifo") || readFileSync(`/proc/${p.pid}/stat`, "utf8").includes(") S "), 10_000);
  return { p, marker };
}

/** The task process (the launcher's child) once it exec'd `program`. */
function taskOf(launcherPid: number, program: string): Promise<number> {
  return eventually(`the task of launcher ${launcherPid} to run ${program}`, () => {
    const [t] = readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, "utf8").trim().split(" ").filter((s) => s !== "").map(Number);
    return t !== undefined && readFileSync(`/proc/${t}/cmdline`, "utf8").startsWith(program) ? t : undefined;
  }, 10_000);
}

describe("OS process runtime (task launcher)", () => {
  it("starts the task through the launcher, in its sandbox with its environment and output files; the launcher leads the group and records the status", async () => {
    const paths = sandbox("start");
    const p = await runtime.start({ argv: ["/bin/sh", "-c", 'echo "$(pwd) $GANTRY_TEST_VAR"; echo oops >&2; exit 5'], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", GANTRY_TEST_VAR: "seen" }, paths, joinFiles: [] });
    started.push(p.pid);
    assert.equal(p.pgid, p.pid);
    assert.ok(p.startTicks > 0);
    assert.deepEqual(await within("the launcher to exit", p.ended, 10_000), { signal: undefined });
    assert.equal(readFileSync(paths.stdout, "utf8"), `${paths.sandbox} seen\n`);
    assert.equal(readFileSync(paths.stderr, "utf8"), "oops\n");
    assert.equal(runtime.readExitStatus(paths.exitStatusFile), 5);
    assert.equal(readFileSync(paths.pidFile, "utf8"), `${p.pid}\n`);
    assert.equal(runtime.groupAlive(p.pgid), false);
  });

  it("SIGTERM reaches the task through the launcher, which records its status; SIGKILL goes to the task's group, not the launcher, which records 137", async () => {
    const term = sandbox("term");
    const t = await runtime.start({ argv: ["sleep", "600"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, paths: term, joinFiles: [] });
    started.push(t.pid);
    await taskOf(t.pid, "sleep");
    assert.equal(runtime.groupAlive(t.pgid), true);
    runtime.signalGroup(t.pgid, "SIGTERM");
    await within("the launcher to exit", t.ended, 10_000);
    assert.equal(runtime.readExitStatus(term.exitStatusFile), 143);

    const kill = sandbox("kill");
    // The task ignores SIGTERM: only the SIGKILL ends it.
    const k = await runtime.start({ argv: ["/bin/sh", "-c", "trap '' TERM; sleep 600 & wait"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, paths: kill, joinFiles: [] });
    started.push(k.pid);
    const task = await taskOf(k.pid, "/bin/sh");
    await eventually("the task's sleep to start", () => readFileSync(`/proc/${task}/task/${task}/children`, "utf8").trim() !== "", 10_000);
    runtime.signalGroup(k.pgid, "SIGKILL");
    await within("the launcher to exit", k.ended, 10_000);
    assert.equal(runtime.readExitStatus(kill.exitStatusFile), 137);
    assert.equal(runtime.groupAlive(k.pgid), false);
    assert.throws(() => runtime.signalGroup(1, "SIGKILL"), /refusing to signal process group 1/);
  });

  it("SIGKILL of a launcher that has not forked its task yet ends the launcher, and the task never runs", async () => {
    const { p, marker } = await launcherBlockedBeforeItsPid("prefork");
    runtime.signalGroup(p.pgid, "SIGKILL");
    assert.deepEqual(await within("the launcher to die", p.ended, 10_000), { signal: "SIGKILL" });
    assert.equal(existsSync(marker), false, "nothing of the task ran");
  });

  it("starts launchers through its launcher server, whose death leaves them running: their ends are still learned, and the next start runs a new server", async () => {
    const paths = sandbox("server-death");
    const ready = join(paths.sandbox, "go");
    const p = await runtime.start({ argv: ["/bin/sh", "-c", `while [ ! -e ${ready} ]; do sleep 0.05; done; exit 7`], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, paths, joinFiles: [] });
    started.push(p.pid);
    // Once it forked its task, a launcher has its pid on file and no longer dies with the server.
    await taskOf(p.pid, "/bin/sh");
    const server = parentOf(p.pid);
    assert.match(readFileSync(`/proc/${server}/cmdline`, "utf8"), /gantry-task-launcher\0serve\0$/, "the launcher's parent is the server");
    process.kill(server, "SIGKILL");
    await eventually("the server to be gone", () => parentOf(p.pid) !== server, 10_000);
    assert.ok(runtime.isAlive(p.pid, p.startTicks), "the launcher outlived its server");
    writeFileSync(ready, "");
    assert.deepEqual(await within("the end of the task to be learned from its status file (the fallback look is an hour away)", p.ended, 10_000), { signal: undefined });
    assert.equal(runtime.readExitStatus(paths.exitStatusFile), 7);

    const next = sandbox("server-next");
    const q = await runtime.start({ argv: ["/bin/true"], env: {}, paths: next, joinFiles: [] });
    started.push(q.pid);
    assert.deepEqual(await within("the task to end", q.ended, 10_000), { signal: undefined });
    assert.equal(runtime.readExitStatus(next.exitStatusFile), 0);
  });

  it("answers many starts in flight at once, each with its own launcher; refuses one it cannot start, saying why", async () => {
    const many = Array.from({ length: 20 }, (_, i) => sandbox(`many-${i}`));
    const all = await Promise.all(many.map((paths, i) => runtime.start({ argv: ["/bin/sh", "-c", `exit ${i}`], env: {}, paths, joinFiles: [] })));
    started.push(...all.map((p) => p.pid));
    await within("every launcher to end", Promise.all(all.map((p) => p.ended)), 10_000);
    for (const [i, paths] of many.entries()) {
      assert.equal(readFileSync(paths.pidFile, "utf8"), `${all[i]!.pid}\n`, "the pid answered is the launcher's of that sandbox");
      assert.equal(runtime.readExitStatus(paths.exitStatusFile), i);
    }
    const missing = { ...sandbox("missing"), sandbox: join(root, "no-such-dir") };
    await assert.rejects(runtime.start({ argv: ["/bin/true"], env: {}, paths: missing, joinFiles: [] }), /cannot change to .*no-such-dir: No such file or directory/);
  });

  it("refuses a start too large for the launcher server, and the starts beside it still run on the same server", async () => {
    const ready = sandbox("beside-huge");
    const go = join(ready.sandbox, "go");
    const beside = await runtime.start({ argv: ["/bin/sh", "-c", `while [ ! -e ${go} ]; do sleep 0.05; done`], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, paths: ready, joinFiles: [] });
    started.push(beside.pid);
    await taskOf(beside.pid, "/bin/sh");
    const server = parentOf(beside.pid);
    const huge = { BIG: "x".repeat(9 << 20) };
    await assert.rejects(runtime.start({ argv: ["/bin/true"], env: huge, paths: sandbox("huge"), joinFiles: [] }), /start request of \d+ bytes .* is above the launcher's 8388608/);
    const after = await runtime.start({ argv: ["/bin/sh", "-c", `while [ ! -e ${go} ]; do sleep 0.05; done`], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, paths: sandbox("after-huge"), joinFiles: [] });
    started.push(after.pid);
    await taskOf(after.pid, "/bin/sh");
    assert.equal(parentOf(after.pid), server, "the same server started it: the refused request did not end it");
    writeFileSync(go, "");
    await within("both tasks to end", Promise.all([beside.ended, after.ended]), 10_000);
  });

  it("a launcher dies with its server until its pid is on file: no task runs that the agent could not find", async () => {
    const { p, marker } = await launcherBlockedBeforeItsPid("server-death-early");
    process.kill(parentOf(p.pid), "SIGKILL");
    assert.deepEqual(await within("the launcher to die with the server", p.ended, 10_000), { signal: undefined });
    assert.equal(runtime.isAlive(p.pid, p.startTicks), false);
    assert.equal(existsSync(marker), false, "nothing of the task ran");
  });

  it("after a restart (not the parent): finds the launcher from its pid file, and its exit wakes the watch through the status file", async () => {
    const paths = sandbox("orphan");
    const ready = join(paths.sandbox, "go");
    // Started by a shell that exits at once: the launcher is not this process's child, as after an agent restart.
    const args = launcherRunArgs({ pidFile: paths.pidFile, exitFile: paths.exitStatusFile, cgroupProcs: [], argv: ["/bin/sh", "-c", `while [ ! -e ${ready} ]; do sleep 0.05; done; exit 9`] });
    const sh = spawnSync("/bin/sh", ["-c", 'cd "$1" && shift && "$@" >/dev/null 2>&1 &', "sh", paths.sandbox, launcher, ...args]);
    assert.equal(sh.status, 0);
    const found = await eventually("the launcher's pid file", () => runtime.findWrapper(paths), 10_000);
    started.push(found.pid);
    assert.equal(found.running, true);
    assert.ok(runtime.isAlive(found.pid, found.startTicks));
    assert.deepEqual(runtime.wrappersUnder(root).filter((w) => w.taskId === "orphan"), [{ pid: found.pid, taskId: "orphan" }]);
    const abort = new AbortController();
    const watched = runtime.watch(found.pid, found.startTicks, abort.signal, paths.exitStatusFile);
    writeFileSync(ready, "");
    await within("the watch to see the exit (the fallback look is an hour away)", watched, 10_000);
    assert.equal(runtime.isAlive(found.pid, found.startTicks), false);
    assert.equal(runtime.readExitStatus(paths.exitStatusFile), 9);
    assert.deepEqual(runtime.findWrapper(paths), { pid: found.pid, startTicks: 0, running: false });
  });

  it("recognises only task launchers in their own sandbox, and the /bin/sh wrappers of agents before it", async () => {
    const paths = sandbox("foreign");
    const other = spawn("sleep", ["600"], { cwd: paths.sandbox, stdio: "ignore", detached: true });
    started.push(other.pid!);
    writeFileSync(paths.pidFile, `${other.pid}\n`);
    assert.deepEqual(runtime.findWrapper(paths), { pid: other.pid, startTicks: 0, running: false }, "a process that is not a launcher");
    const legacy = sandbox("legacy");
    const sh = spawn("/bin/sh", ["-c", `echo $$ > ${legacy.pidFile}; "$@"`, "gantry-task", "sleep", "600"], { cwd: legacy.sandbox, stdio: "ignore", detached: true });
    started.push(sh.pid!);
    await eventually("the legacy wrapper's pid file", () => existsSync(legacy.pidFile) && readFileSync(legacy.pidFile, "utf8").endsWith("\n"), 10_000);
    assert.equal(runtime.findWrapper(legacy)?.running, true);
    assert.equal(runtime.findWrapper({ ...legacy, sandbox: paths.sandbox })?.running, false, "not in that sandbox");
    assert.equal(runtime.groupAlive(sh.pid!), true);
    runtime.signalGroup(sh.pid!, "SIGKILL");
    await eventually("the legacy wrapper's group to be gone", () => !runtime.groupAlive(sh.pid!), 10_000);
    other.kill("SIGKILL");
  });

  it("says how to build the launcher when it is missing", () => {
    assert.throws(() => osProcessRuntimeWith(join(root, "none")), /GANTRY_TASK_LAUNCHER=.*none is not an executable file/);
  });
});

/** The parent pid of `pid` (field 4 of /proc/<pid>/stat); 0 when it is gone. */
function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}

/** A runtime with GANTRY_TASK_LAUNCHER pointing at `path` (restored after). */
function osProcessRuntimeWith(path: string): ProcessRuntime {
  const before = process.env.GANTRY_TASK_LAUNCHER;
  process.env.GANTRY_TASK_LAUNCHER = path;
  try {
    return osProcessRuntime();
  } finally {
    if (before === undefined) delete process.env.GANTRY_TASK_LAUNCHER;
    else process.env.GANTRY_TASK_LAUNCHER = before;
  }
}
