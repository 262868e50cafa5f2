/**
 * An app's networks and endpoints (Marathon 1.4 networking): the host network with
 * `portDefinitions`, Docker BRIDGE/USER with `portMappings`, or IP-per-task with `ipAddress`.
 * Endpoints come from the same list a health check's `portIndex` addresses (`appPortNames`), in
 * the same order, so `portIndex` is the endpoint index.
 */
import { create } from "@bufbuild/protobuf";
import { registryV1RunSpec as rs } from "@gantry/proto";
import type { AppDefinition } from "../marathon/app.model.ts";
import { DCOS_DEFAULT_NETWORK_NAME } from "../marathon/common-rules.ts";
import { stringMap } from "./spec-parts.ts";

type Networking = Pick<AppDefinition, "container" | "ipAddress" | "portDefinitions" | "requirePorts">;

/** Marathon's `"udp,tcp"` as a list of protocols. */
export function splitProtocols(protocol: string): string[] {
  return protocol.split(",").filter((p) => p.length > 0);
}

/**
 * The networks an app's instance joins: `[]` (the host network) without `ipAddress` and with
 * Docker HOST/NONE or no Docker network; CONTAINER_BRIDGE for Docker BRIDGE; CONTAINER named
 * after `ipAddress.networkName` (DC/OS default `dcos` when unnamed) for `ipAddress` or Docker USER.
 */
export function appNetworks(app: Networking): rs.NetworkSpec[] {
  const network = app.container?.docker?.network;
  if (network === "BRIDGE") return [create(rs.NetworkSpecSchema, { mode: rs.NetworkMode.CONTAINER_BRIDGE })];
  const ip = app.ipAddress;
  if (network !== "USER" && ip === undefined) return [];
  return [create(rs.NetworkSpecSchema, { mode: rs.NetworkMode.CONTAINER, name: ip?.networkName ?? DCOS_DEFAULT_NETWORK_NAME, labels: stringMap(ip?.labels) })];
}

/**
 * The app container's endpoints:
 * - Docker `portMappings` (BRIDGE/USER): container port, host port as given (absent = none is
 *   allocated, USER networks only; 0 = any), service port;
 * - `ipAddress.discovery.ports`: container ports on the task's own IP, no host port;
 * - `portDefinitions` (host network): `port` is the SERVICE port; the host port equals it with
 *   `requirePorts`, otherwise it is any free port (0).
 * Invariant: index i here is `portIndex` i of the app's health checks.
 */
export function appEndpoints(app: Networking): rs.EndpointSpec[] {
  const mappings = app.container?.docker?.portMappings;
  if (mappings !== undefined) {
    return mappings.map((m) =>
      endpoint(m.name, m.containerPort, m.hostPort, splitProtocols(m.protocol), m.labels, m.servicePort),
    );
  }
  if (app.ipAddress !== undefined) {
    return app.ipAddress.discovery.ports.map((p) => endpoint(p.name, p.number, undefined, [p.protocol], {}, 0));
  }
  return app.portDefinitions.map((p) =>
    endpoint(p.name, 0, app.requirePorts ? p.port : 0, splitProtocols(p.protocol), p.labels, p.port),
  );
}

function endpoint(
  name: string | undefined,
  containerPort: number,
  hostPort: number | undefined,
  protocols: string[],
  labels: Record<string, string>,
  servicePort: number,
): rs.EndpointSpec {
  const e = create(rs.EndpointSpecSchema, { name: name ?? "", containerPort, protocols, labels: stringMap(labels), servicePort });
  if (hostPort !== undefined) e.hostPort = hostPort;
  return e;
}
