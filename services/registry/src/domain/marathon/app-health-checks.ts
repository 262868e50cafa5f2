/**
 * App `healthChecks` and `readinessChecks` (`M/core/health/HealthCheck.scala`,
 * `M/core/readiness/ReadinessCheck.scala`): reading with per-protocol defaults, the `portIndex`
 * injection, and the rules that need the whole app (port indices, named ports).
 */
import {
  APP_DEFAULTS,
  HEALTH_CHECK_PROTOCOLS,
  type AppHealthCheck,
  type HealthCheckProtocol,
  type ReadinessCheck,
} from "./app.model.ts";
import {
  arrayOf,
  atLeast,
  atMost,
  between,
  bool,
  check,
  int,
  lessThan,
  moreThan,
  notEmpty,
  obj,
  objectReader,
  oneOf,
  opt,
  req,
  str,
  type Issues,
  type Path,
  type Reader,
} from "./field-validators.ts";

/** Marathon's message when a health check's port index addresses no port. */
export const PORT_INDEX_MESSAGE = "Health check port indices must address an element of the ports array or container port mappings.";
/** At most one MESOS_* health check per app. */
export const ONE_MESOS_HEALTH_CHECK_MESSAGE = "AppDefinition can contain at most one Mesos health check";
/** `port` and `portIndex` are exclusive. */
export const PORT_XOR_PORT_INDEX_MESSAGE = "Health check may specify either port or portIndex, not both";

/** A health check as read, before the app-level `portIndex` injection. */
export interface HealthCheckInput {
  check: AppHealthCheck;
  /** `portIndex` given as a port name: allowed by the type, refused by the validator. */
  portIndexName?: string;
}

const MESOS_PROTOCOLS: readonly HealthCheckProtocol[] = ["MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"];
const HTTP_LIKE: readonly HealthCheckProtocol[] = ["HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS"];

/** True for checks executed by Mesos (MESOS_*) — COMMAND is not counted. */
export function isMesosHealthCheck(p: HealthCheckProtocol): boolean {
  return MESOS_PROTOCOLS.includes(p);
}

/** Reads one health check, applying the defaults of its protocol. */
export const healthCheck: Reader<HealthCheckInput> = objectReader((o, path, is) => {
  const d = APP_DEFAULTS.healthCheck;
  const protocol = opt(o, "protocol", oneOf(HEALTH_CHECK_PROTOCOLS), path, is) ?? "HTTP";
  const hc: AppHealthCheck = {
    protocol,
    gracePeriodSeconds: opt(o, "gracePeriodSeconds", int, path, is) ?? d.gracePeriodSeconds,
    intervalSeconds: opt(o, "intervalSeconds", int, path, is) ?? d.intervalSeconds,
    timeoutSeconds: opt(o, "timeoutSeconds", int, path, is) ?? d.timeoutSeconds,
    maxConsecutiveFailures: opt(o, "maxConsecutiveFailures", int, path, is) ?? d.maxConsecutiveFailures,
  };
  const delaySeconds = opt(o, "delaySeconds", int, path, is);
  if (isMesosHealthCheck(protocol) || protocol === "COMMAND") hc.delaySeconds = delaySeconds ?? d.delaySeconds;

  let portIndexName: string | undefined;
  const rawIndex = o["portIndex"];
  if (typeof rawIndex === "string") portIndexName = rawIndex;
  const portIndex = typeof rawIndex === "string" ? undefined : opt(o, "portIndex", int, path, is);
  const port = opt(o, "port", int, path, is);
  const hcPath = opt(o, "path", str, path, is);
  const ignoreHttp1xx = opt(o, "ignoreHttp1xx", bool, path, is);
  if (protocol === "COMMAND") {
    const command = req(o, "command", obj, path, is);
    if (command !== undefined) {
      const value = req(command, "value", str, [...path, "command"], is);
      if (value !== undefined) hc.command = { value };
    }
  } else {
    if (portIndex !== undefined) hc.portIndex = portIndex;
    if (port !== undefined) hc.port = port;
  }
  if (HTTP_LIKE.includes(protocol)) hc.path = hcPath ?? "/";
  if (protocol === "HTTP" || protocol === "HTTPS") hc.ignoreHttp1xx = ignoreHttp1xx ?? false;
  return portIndexName === undefined ? { check: hc } : { check: hc, portIndexName };
});

/** Reads one readiness check with Marathon's defaults. */
export const readinessCheck: Reader<ReadinessCheck> = objectReader((o, path, is) => {
  const d = APP_DEFAULTS.readinessCheck;
  return {
    name: opt(o, "name", str, path, is) ?? d.name,
    protocol: opt(o, "protocol", oneOf(["HTTP", "HTTPS"] as const), path, is) ?? d.protocol,
    path: opt(o, "path", str, path, is) ?? d.path,
    portName: opt(o, "portName", str, path, is) ?? d.portName,
    intervalSeconds: opt(o, "intervalSeconds", int, path, is) ?? d.intervalSeconds,
    timeoutSeconds: opt(o, "timeoutSeconds", int, path, is) ?? d.timeoutSeconds,
    httpStatusCodesForReady: opt(o, "httpStatusCodesForReady", arrayOf(int), path, is) ?? [...d.httpStatusCodesForReady],
    preserveLastResponse: opt(o, "preserveLastResponse", bool, path, is) ?? d.preserveLastResponse,
  };
});

/**
 * Injects `portIndex: 0` into non-COMMAND checks that name neither `port` nor `portIndex`
 * when the app has at least one port (Marathon's reader does this).
 */
export function injectPortIndex(checks: HealthCheckInput[], portCount: number): void {
  for (const { check: hc, portIndexName } of checks) {
    if (hc.protocol === "COMMAND" || portIndexName !== undefined) continue;
    if (hc.port === undefined && hc.portIndex === undefined && portCount > 0) hc.portIndex = 0;
  }
}

/** Checks health checks against the app's ports. `portCount` = port mappings, discovery ports or port definitions. */
export function checkHealthChecks(is: Issues, checks: readonly HealthCheckInput[], portCount: number): void {
  checks.forEach(({ check: hc, portIndexName }, i) => {
    const path: Path = ["healthChecks", i];
    atLeast(is, [...path, "gracePeriodSeconds"], hc.gracePeriodSeconds, 0, "int");
    atLeast(is, [...path, "intervalSeconds"], hc.intervalSeconds, 0, "int");
    atLeast(is, [...path, "timeoutSeconds"], hc.timeoutSeconds, 0, "int");
    atLeast(is, [...path, "maxConsecutiveFailures"], hc.maxConsecutiveFailures, 0, "int");
    if (hc.delaySeconds !== undefined) atLeast(is, [...path, "delaySeconds"], hc.delaySeconds, 0, "int");
    if (hc.protocol === "COMMAND") {
      if (hc.command !== undefined) notEmpty(is, [...path, "command", "value"], hc.command.value);
      return;
    }
    if (hc.port !== undefined) between(is, [...path, "port"], hc.port, 0, 65535);
    if (hc.port !== undefined && hc.portIndex !== undefined) is.violation(path, PORT_XOR_PORT_INDEX_MESSAGE);
    // `appDef.healthChecks is every(portIndexIsValid(...))`: one violation per check, at `/healthChecks(i)`.
    const indexValid = hc.port !== undefined || (hc.portIndex !== undefined && hc.portIndex >= 0 && hc.portIndex < portCount);
    check(is, path, portIndexName === undefined && indexValid, PORT_INDEX_MESSAGE);
  });
  const mesosChecks = checks.filter(({ check: hc }) => isMesosHealthCheck(hc.protocol)).length;
  check(is, ["healthChecks"], mesosChecks <= 1, ONE_MESOS_HEALTH_CHECK_MESSAGE);
}

/** Message when a readiness check's `portName` names no port of the app. */
export function readinessPortNameMessage(portName: string): string {
  return `readiness check portName '${portName}' must be the name of one of the app's ports`;
}

/** Checks readiness checks: at most one, `0 < timeout < interval`, named port, status codes. */
export function checkReadinessChecks(is: Issues, checks: readonly ReadinessCheck[], portNames: readonly (string | undefined)[]): void {
  atMost(is, ["readinessChecks"], checks.length, 1, "int");
  checks.forEach((rc, i) => {
    const path: Path = ["readinessChecks", i];
    notEmpty(is, [...path, "name"], rc.name);
    notEmpty(is, [...path, "path"], rc.path);
    notEmpty(is, [...path, "portName"], rc.portName);
    moreThan(is, [...path, "timeoutSeconds"], rc.timeoutSeconds, 0, "int");
    lessThan(is, [...path, "timeoutSeconds"], rc.timeoutSeconds, rc.intervalSeconds, "int");
    notEmpty(is, [...path, "httpStatusCodesForReady"], rc.httpStatusCodesForReady);
    if (rc.portName.length > 0) check(is, [...path, "portName"], portNames.includes(rc.portName), readinessPortNameMessage(rc.portName));
  });
}
