/**
 * Marathon's readiness checks as the agent runs them: HTTP(S) GETs of a named port of the task
 * until each answers one of its ready status codes once (Marathon ran them from its own process
 * during deployments; here the agent probes the task's port where it runs, as it does health
 * checks). Pure.
 */
import type { registryV1RunSpec } from "@gantry/proto";
import type { HealthProbe } from "./health-checks.ts";
import type { TaskPortAssignment } from "./launch-spec.ts";

type Planned = { ok: true; probes: HealthProbe[] } | { ok: false; message: string };

/**
 * The probes of a run spec's readiness checks for its task (`container`: an app's one
 * container), or why they cannot run (the launch is then refused): a port name that names no
 * endpoint with a port, a protocol other than HTTP or HTTPS. A check passes only on its
 * `httpStatusCodesForReady` (Marathon's default: 200).
 */
export function planReadinessChecks(checks: readonly registryV1RunSpec.ReadinessCheckSpec[], container: registryV1RunSpec.ContainerSpec, assigned: readonly TaskPortAssignment[], containerNetwork = false): Planned {
  const probes: HealthProbe[] = [];
  for (const [i, rc] of checks.entries()) {
    const label = `readiness check ${rc.name || i}`;
    const protocol = (rc.protocol || "HTTP").toUpperCase();
    if (protocol !== "HTTP" && protocol !== "HTTPS") return { ok: false, message: `${label}: protocol ${rc.protocol} is not HTTP or HTTPS` };
    const index = container.endpoints.findIndex((e) => e.name === rc.portName);
    if (index < 0) return { ok: false, message: `${label}: no port is named "${rc.portName}"` };
    let port = 0;
    let address: HealthProbe["address"] = "loopback";
    if (containerNetwork && (container.endpoints[index]?.containerPort ?? 0) > 0) {
      port = container.endpoints[index]!.containerPort;
      address = "instance";
    } else {
      const given = assigned.find((p) => p.endpointIndex === index);
      if (given === undefined) return { ok: false, message: `${label}: port "${rc.portName}" has no assigned host port` };
      port = given.hostPort;
    }
    const path = rc.path === "" ? "/" : rc.path.startsWith("/") ? rc.path : `/${rc.path}`;
    probes.push({
      name: `${protocol} ${path} on ${address === "instance" ? "container port" : "port"} ${port} (readiness check ${rc.name || i})`,
      kind: protocol === "HTTPS" ? "https" : "http",
      port,
      address,
      path,
      argv: [],
      ignoreHttp1xx: false,
      gracePeriodMs: 0,
      intervalMs: Math.max(1, rc.intervalSeconds) * 1000,
      timeoutMs: Math.max(1, rc.timeoutSeconds) * 1000,
      maxConsecutiveFailures: 0,
      delayMs: 0,
      passCodes: rc.httpStatusCodesForReady.length > 0 ? [...rc.httpStatusCodesForReady] : [200],
    });
  }
  return { ok: true, probes };
}
