/**
 * Task launcher benchmark: what starting one task's process costs the agent, the way it starts
 * a pod container running as a user (a network namespace to enter, a user to become), by
 * mechanism, everything else equal (spawned from Node, detached, in a sandbox, output to files):
 *
 *   launcher   gantry-task-launcher run --pid-file … --exit-file … --netns … --user nobody -- /bin/true
 *              (one exec: the launcher; its child joins, drops and execs the task)
 *   legacy     /bin/sh -c <wrapper> gantry-task nsenter --net=… -- setpriv --reuid … -- /bin/true
 *              (what the agent ran before: sh, then nsenter, then setpriv, then the task)
 *
 * Each round starts BATCH tasks at once and waits for every one to have exited with its status
 * written (the task is /bin/true: the figure is the launch path, not the task); rounds alternate
 * between the two so that a busy machine slows both alike. Besides the rate, the CPU time the
 * launch path itself used per task (user + system of the reaped children, /proc/self/stat
 * cutime + cstime: the launcher or sh, and everything they ran), which a busy machine disturbs
 * far less than wall-clock time. Root only (namespace, user). The
 * namespace is made here and deleted at the end. Prints its figures, then one JSON line last:
 *   {"bench":"agent-launcher","launcherPerSec":…,"legacyPerSec":…,"launcherCpuMs":…,"legacyCpuMs":…}
 *   node bench/agent/launcher.bench.ts [--tasks 600] [--batch 50]
 */
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launcherRunArgs } from "../../services/agent/src/adapters/task-launcher.ts";
import { buildTaskLauncher } from "../../services/agent/src/testing/task-launcher-build.ts";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "600" }, batch: { type: "string", default: "50" } } });
const TASKS = Number(values.tasks);
const BATCH = Number(values.batch);
if (process.getuid?.() !== 0) throw new Error("the launcher benchmark needs root (a network namespace, a user to become)");

const launcher = buildTaskLauncher();
const dir = mkdtempSync(join(tmpdir(), "gantry-launcher-bench-"));
const netns = `gantry-bench-${randomBytes(3).toString("hex")}`;
const netnsPath = `/run/netns/${netns}`;
const nobody = spawnSync("id", ["-u", "nobody"], { encoding: "utf8" }).stdout.trim();
const nogroup = spawnSync("id", ["-g", "nobody"], { encoding: "utf8" }).stdout.trim();
if (spawnSync("ip", ["netns", "add", netns]).status !== 0) throw new Error(`ip netns add ${netns} failed`);

/** The `/bin/sh` wrapper agents used before the launcher (services/agent README, "Launcher"). */
function legacyWrapper(exitFile: string, pidFile: string): string {
  return [`echo $$ > '${pidFile}'`, `"$@"`, `s=$?`, `echo $s > '${exitFile}'`, `exit $s`].join("\n");
}

type Mechanism = "launcher" | "legacy";

/** Starts one task by `how` in its own sandbox; resolves once it exited and its status is on file. */
function startOne(how: Mechanism, n: number): Promise<void> {
  const sandbox = join(dir, `${how}-${n}`);
  mkdirSync(join(sandbox, ".gantry"), { recursive: true });
  const pidFile = join(sandbox, ".gantry", "pid");
  const exitFile = join(sandbox, ".gantry", "exit-status");
  const out = openSync(join(sandbox, "stdout"), "a");
  const err = openSync(join(sandbox, "stderr"), "a");
  const [program, args] =
    how === "launcher"
      ? [launcher, launcherRunArgs({ pidFile, exitFile, cgroupProcs: [], netns: netnsPath, user: "nobody", argv: ["/bin/true"] })]
      : ["/bin/sh", ["-c", legacyWrapper(exitFile, pidFile), "gantry-task", "/usr/bin/nsenter", `--net=${netnsPath}`, "--", "/usr/bin/setpriv", `--reuid=${nobody}`, `--regid=${nogroup}`, "--init-groups", "--", "/bin/true"]];
  const child = spawn(program, args, { cwd: sandbox, detached: true, stdio: ["ignore", out, err], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
  closeSync(out);
  closeSync(err);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      const status = readFileSync(exitFile, "utf8").trim();
      if (code !== 0 || status !== "0") reject(new Error(`${how} task ${n} ended with ${code} (status "${status}"): ${readFileSync(join(sandbox, "stderr"), "utf8")}`));
      else resolve();
    });
  });
}

/** CPU time of this process's reaped children so far, in ms (cutime + cstime). */
function childrenCpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  // After "pid (comm) ", field 3 is index 0: cutime and cstime are fields 16 and 17.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

const elapsed: Record<Mechanism, number> = { launcher: 0, legacy: 0 };
const cpu: Record<Mechanism, number> = { launcher: 0, legacy: 0 };
const count: Record<Mechanism, number> = { launcher: 0, legacy: 0 };
try {
  // One warm-up batch each (page cache, name service), not counted.
  for (const how of ["launcher", "legacy"] as const) await Promise.all(Array.from({ length: BATCH }, (_, i) => startOne(how, -1 - i)));
  for (let round = 0; count.launcher + count.legacy < 2 * TASKS; round++) {
    for (const how of (round % 2 === 0 ? ["launcher", "legacy"] : ["legacy", "launcher"]) as Mechanism[]) {
      const t0 = performance.now();
      const c0 = childrenCpuMs();
      await Promise.all(Array.from({ length: BATCH }, (_, i) => startOne(how, count[how] + i)));
      elapsed[how] += performance.now() - t0;
      cpu[how] += childrenCpuMs() - c0;
      count[how] += BATCH;
    }
  }
} finally {
  spawnSync("ip", ["netns", "del", netns]);
  rmSync(dir, { recursive: true, force: true });
}

const perSec = (how: Mechanism) => Math.round((count[how] / elapsed[how]) * 1000);
const cpuMs = (how: Mechanism) => Math.round((cpu[how] / count[how]) * 100) / 100;
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`task launch benchmark: ${count.launcher} tasks per mechanism in batches of ${BATCH}, network namespace + user nobody, task /bin/true (load average ${load}: a shared, busy machine)`);
console.log(`  gantry-task-launcher            ${perSec("launcher")} launches/s (start → exited with status on file), ${cpuMs("launcher")} ms CPU per launch`);
console.log(`  /bin/sh + nsenter + setpriv     ${perSec("legacy")} launches/s, ${cpuMs("legacy")} ms CPU per launch`);
console.log(JSON.stringify({ bench: "agent-launcher", launcherPerSec: perSec("launcher"), legacyPerSec: perSec("legacy"), launcherCpuMs: cpuMs("launcher"), legacyCpuMs: cpuMs("legacy") }));
