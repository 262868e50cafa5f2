/**
 * An app's health and readiness checks as run-spec checks (Marathon's defaults are already in
 * the normalised definition; fields a protocol does not use become their zero value).
 */
import { create } from "@bufbuild/protobuf";
import { registryV1RunSpec as rs } from "@gantry/proto";
import type { AppHealthCheck, HealthCheckProtocol, ReadinessCheck } from "../marathon/app.model.ts";
import { commandSpec } from "./spec-parts.ts";

const PROTOCOLS: Record<HealthCheckProtocol, rs.HealthCheckProtocol> = {
  HTTP: rs.HealthCheckProtocol.HTTP,
  HTTPS: rs.HealthCheckProtocol.HTTPS,
  TCP: rs.HealthCheckProtocol.TCP,
  COMMAND: rs.HealthCheckProtocol.COMMAND,
  MESOS_HTTP: rs.HealthCheckProtocol.MESOS_HTTP,
  MESOS_HTTPS: rs.HealthCheckProtocol.MESOS_HTTPS,
  MESOS_TCP: rs.HealthCheckProtocol.MESOS_TCP,
};

/**
 * One app health check. `portIndex` is the endpoint index (endpoints are listed in `portIndex`
 * order); a fixed `port` or a COMMAND check gives endpoint_index -1. `delaySeconds` is 0 for
 * checks Marathon runs itself (HTTP, HTTPS, TCP), which have none.
 */
export function appHealthCheckSpec(hc: AppHealthCheck): rs.HealthCheckSpec {
  return create(rs.HealthCheckSpecSchema, {
    protocol: PROTOCOLS[hc.protocol],
    endpointIndex: hc.protocol === "COMMAND" || hc.portIndex === undefined ? -1 : hc.portIndex,
    port: hc.port ?? 0,
    path: hc.path ?? "",
    ...(hc.command ? { command: commandSpec({ shell: hc.command.value }) } : {}),
    gracePeriodSeconds: hc.gracePeriodSeconds,
    intervalSeconds: hc.intervalSeconds,
    timeoutSeconds: hc.timeoutSeconds,
    maxConsecutiveFailures: hc.maxConsecutiveFailures,
    delaySeconds: hc.delaySeconds ?? 0,
    ignoreHttp1xx: hc.ignoreHttp1xx ?? false,
  });
}

/** One readiness check, field for field. */
export function readinessCheckSpec(rc: ReadinessCheck): rs.ReadinessCheckSpec {
  return create(rs.ReadinessCheckSpecSchema, {
    name: rc.name,
    protocol: rc.protocol,
    path: rc.path,
    portName: rc.portName,
    intervalSeconds: rc.intervalSeconds,
    timeoutSeconds: rc.timeoutSeconds,
    httpStatusCodesForReady: [...rc.httpStatusCodesForReady],
    preserveLastResponse: rc.preserveLastResponse,
  });
}
