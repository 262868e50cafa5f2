/**
 * One container of a Marathon 1.4 pod as a `ContainerSpec` (Marathon's `TaskGroupBuilder`:
 * pod environment under container environment, container user over pod user).
 */
import { create } from "@bufbuild/protobuf";
import { registryV1RunSpec as rs } from "@gantry/proto";
import type { PodContainer, PodDefinition, PodEndpoint, PodHealthCheck } from "../marathon/pod.model.ts";
import { artifactSpecs, commandSpec, DEFAULT_KILL_GRACE_PERIOD_SECONDS, envSpec, resourcesSpec, stringMap } from "./spec-parts.ts";

/**
 * The container's spec. Invariants: env is the pod's `environment` overridden by the
 * container's (every container carries the merged result); user "" means the pod's user; the kill
 * grace is `lifecycle.killGracePeriodSeconds` rounded UP to whole seconds (a grace is never
 * shortened), 3 s when absent; image is the image id ("" without one).
 */
export function podContainerSpec(c: PodContainer, pod: Pick<PodDefinition, "environment">): rs.ContainerSpec {
  const grace = c.lifecycle?.killGracePeriodSeconds;
  return create(rs.ContainerSpecSchema, {
    name: c.name,
    ...(c.exec ? { command: commandSpec(c.exec.command) } : {}),
    env: envSpec({ ...pod.environment, ...c.environment }),
    resources: resourcesSpec(c.resources),
    endpoints: c.endpoints.map(podEndpointSpec),
    healthChecks: c.healthCheck ? [podHealthCheckSpec(c.healthCheck, c.endpoints)] : [],
    artifacts: artifactSpecs(c.artifacts),
    volumeMounts: c.volumeMounts.map((m) => create(rs.VolumeMountSpecSchema, { name: m.name, mountPath: m.mountPath, readOnly: m.readOnly ?? false })),
    user: c.user ?? "",
    killGracePeriodSeconds: grace === undefined ? DEFAULT_KILL_GRACE_PERIOD_SECONDS : Math.ceil(grace),
    labels: stringMap(c.labels),
    image: c.image?.id ?? "",
  });
}

/**
 * A pod endpoint. `hostPort` keeps its three meanings: absent = no host port (container networks
 * only), 0 = any free port, N = exactly N. `containerPort` is 0 on the host network.
 */
export function podEndpointSpec(e: PodEndpoint): rs.EndpointSpec {
  const spec = create(rs.EndpointSpecSchema, { name: e.name, containerPort: e.containerPort ?? 0, protocols: [...e.protocol], labels: stringMap(e.labels) });
  if (e.hostPort !== undefined) spec.hostPort = e.hostPort;
  return spec;
}

/**
 * A pod health check: `http` → HTTP/HTTPS by scheme (path "/" when not given, what an empty path
 * requests), `tcp` → TCP, `exec` → COMMAND. The named endpoint becomes its index in the
 * container's endpoints (-1 for COMMAND).
 */
export function podHealthCheckSpec(hc: PodHealthCheck, endpoints: readonly PodEndpoint[]): rs.HealthCheckSpec {
  const indexOf = (name: string) => endpoints.findIndex((e) => e.name === name);
  const probe = hc.http
    ? { protocol: hc.http.scheme === "HTTPS" ? rs.HealthCheckProtocol.HTTPS : rs.HealthCheckProtocol.HTTP, endpointIndex: indexOf(hc.http.endpoint), path: hc.http.path ?? "/" }
    : hc.tcp
      ? { protocol: rs.HealthCheckProtocol.TCP, endpointIndex: indexOf(hc.tcp.endpoint) }
      : { protocol: rs.HealthCheckProtocol.COMMAND, endpointIndex: -1, ...(hc.exec ? { command: commandSpec(hc.exec.command) } : {}) };
  return create(rs.HealthCheckSpecSchema, {
    ...probe,
    gracePeriodSeconds: hc.gracePeriodSeconds,
    intervalSeconds: hc.intervalSeconds,
    timeoutSeconds: hc.timeoutSeconds,
    maxConsecutiveFailures: hc.maxConsecutiveFailures,
    delaySeconds: hc.delaySeconds,
  });
}
