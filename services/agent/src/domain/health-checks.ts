/**
 * Marathon's health checks as the agent runs them: the plan (what each check probes, from the
 * run spec and the ports the scheduler assigned) and the verdict rules (grace period, consecutive
 * failures, when a task is killed). Pure.
 */
import { registryV1RunSpec } from "@gantry/proto";
import type { TaskPortAssignment } from "./launch-spec.ts";

const { HealthCheckProtocol } = registryV1RunSpec;

/** One health check, ready to run; checkpointed with the task, so a restarted agent resumes it. */
export interface HealthProbe {
  /** "HTTP /health on port 31002", "TCP port 31002", "COMMAND test -f ready": names the check in messages. */
  name: string;
  kind: "http" | "https" | "tcp" | "command";
  /** The port probed; 0 for command checks. */
  port: number;
  /**
   * Where: `loopback` = 127.0.0.1, the agent's own (a host port); `instance` = the instance's
   * address on its container network (a container port, as Mesos probes a task in its namespace).
   */
  address: "loopback" | "instance";
  /** HTTP(S) path, starting with "/". */
  path: string;
  /** Command checks: the program and its arguments (a shell command runs as `/bin/sh -c`). */
  argv: string[];
  /** HTTP(S): a 1xx answer counts as neither success nor failure. */
  ignoreHttp1xx: boolean;
  /** Failures before the first success within this long after the task started are ignored. */
  gracePeriodMs: number;
  intervalMs: number;
  timeoutMs: number;
  /** The task is killed after this many failures in a row (after the grace period); 0 = never. */
  maxConsecutiveFailures: number;
  /** Wait before the first probe (Mesos checks' `delaySeconds`; Marathon checks start at once). */
  delayMs: number;
  /** HTTP(S) status codes that pass (readiness checks); absent: 200–399, as health checks. */
  passCodes?: number[];
}

type Planned = { ok: true; probes: HealthProbe[] } | { ok: false; message: string };

/**
 * The probes of a container's health checks, or why they cannot run here (the launch is then
 * refused): a check of an endpoint that has no assigned host port, an unknown protocol, a command
 * check without a command. `assigned` are the scheduler's host ports for the container.
 */
export function planHealthChecks(container: registryV1RunSpec.ContainerSpec, assigned: readonly TaskPortAssignment[], containerNetwork = false): Planned {
  const probes: HealthProbe[] = [];
  for (const [i, hc] of container.healthChecks.entries()) {
    const label = `health check ${i}`;
    const kind = kindOf(hc.protocol);
    if (kind === undefined) return { ok: false, message: `${label}: protocol ${HealthCheckProtocol[hc.protocol] ?? hc.protocol} is not one the agent runs` };
    let port = 0;
    let address: HealthProbe["address"] = "loopback";
    let argv: string[] = [];
    if (kind === "command") {
      const command = hc.command?.kind;
      argv = command?.case === "shell" ? ["/bin/sh", "-c", command.value] : command?.case === "argv" ? [...command.value.args] : [];
      if (argv.length === 0 || (command?.case === "shell" && command.value.trim() === "")) return { ok: false, message: `${label}: a COMMAND check needs a command` };
    } else if (hc.port > 0) {
      port = hc.port;
    } else if (containerNetwork && (container.endpoints[hc.endpointIndex]?.containerPort ?? 0) > 0) {
      port = container.endpoints[hc.endpointIndex]!.containerPort;
      address = "instance";
    } else {
      const given = assigned.find((p) => p.endpointIndex === hc.endpointIndex);
      if (given === undefined) return { ok: false, message: `${label} probes endpoint ${hc.endpointIndex}, which has no assigned host port` };
      port = given.hostPort;
    }
    const path = hc.path === "" ? "/" : hc.path.startsWith("/") ? hc.path : `/${hc.path}`;
    const where = address === "instance" ? "container port" : "port";
    const name = kind === "command" ? `COMMAND ${argv.at(-1)}` : kind === "tcp" ? `TCP ${where} ${port}` : `${kind.toUpperCase()} ${path} on ${where} ${port}`;
    probes.push({
      name,
      kind,
      port,
      address,
      path: kind === "http" || kind === "https" ? path : "",
      argv,
      ignoreHttp1xx: hc.ignoreHttp1xx,
      gracePeriodMs: hc.gracePeriodSeconds * 1000,
      // A zero interval would probe in a busy loop; Marathon's minimum is 1 s in practice.
      intervalMs: Math.max(1, hc.intervalSeconds) * 1000,
      timeoutMs: Math.max(1, hc.timeoutSeconds) * 1000,
      maxConsecutiveFailures: hc.maxConsecutiveFailures,
      delayMs: hc.delaySeconds * 1000,
    });
  }
  return { ok: true, probes };
}

function kindOf(protocol: registryV1RunSpec.HealthCheckProtocol): HealthProbe["kind"] | undefined {
  switch (protocol) {
    case HealthCheckProtocol.HTTP:
    case HealthCheckProtocol.MESOS_HTTP:
      return "http";
    case HealthCheckProtocol.HTTPS:
    case HealthCheckProtocol.MESOS_HTTPS:
      return "https";
    case HealthCheckProtocol.TCP:
    case HealthCheckProtocol.MESOS_TCP:
      return "tcp";
    case HealthCheckProtocol.COMMAND:
      return "command";
    default:
      return undefined;
  }
}

/** What one probe said: passed, failed (with why), or nothing to count (an ignored 1xx). */
export type ProbeResult = { outcome: "passed" } | { outcome: "failed"; cause: string } | { outcome: "ignored" };

/** What recording a probe result changed. */
export interface HealthStep {
  /** The check's verdict after this result: undefined while it has not decided (grace period). */
  healthy: boolean | undefined;
  /** Set when the task must be killed: why. */
  kill?: string;
}

/**
 * One check's verdict over time, by Marathon's rules: failures are ignored until the first
 * success or the end of the grace period (counted from the task's start); after that each
 * failure counts, a success resets the count, and `maxConsecutiveFailures` in a row (when not 0)
 * kill the task.
 */
export class HealthVerdict {
  private everPassed = false;
  private consecutiveFailures = 0;
  private verdict: boolean | undefined;
  private readonly probe: HealthProbe;
  private readonly taskStartedAtMs: number;

  /** `passedBefore`: the task passed its checks under an earlier agent process (its grace period is over). */
  constructor(probe: HealthProbe, taskStartedAtMs: number, passedBefore = false) {
    this.probe = probe;
    this.taskStartedAtMs = taskStartedAtMs;
    this.everPassed = passedBefore;
  }

  get healthy(): boolean | undefined {
    return this.verdict;
  }

  get failuresInARow(): number {
    return this.consecutiveFailures;
  }

  record(result: ProbeResult, atMs: number): HealthStep {
    if (result.outcome === "passed") {
      this.everPassed = true;
      this.consecutiveFailures = 0;
      this.verdict = true;
      return { healthy: true };
    }
    if (result.outcome === "ignored") return { healthy: this.verdict };
    if (!this.everPassed && atMs - this.taskStartedAtMs < this.probe.gracePeriodMs) return { healthy: this.verdict };
    this.consecutiveFailures++;
    this.verdict = false;
    const max = this.probe.maxConsecutiveFailures;
    if (max > 0 && this.consecutiveFailures >= max) {
      return { healthy: false, kill: `unhealthy: ${this.probe.name} failed ${this.consecutiveFailures} times in a row (last: ${result.cause})` };
    }
    return { healthy: false };
  }
}

/** A task's verdict from its checks': unhealthy when any check says so, healthy when all do, else undecided. */
export function taskHealth(verdicts: readonly (boolean | undefined)[]): boolean | undefined {
  if (verdicts.some((v) => v === false)) return false;
  if (verdicts.length > 0 && verdicts.every((v) => v === true)) return true;
  return undefined;
}
