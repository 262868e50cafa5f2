/**
 * The cross-field filters of Marathon 1.4.12's app JSON readers (`Formats.scala`), and the one
 * cross-field `require` of its `AppDefinition` constructor. Pure.
 *
 * What a reader's filter refuses is a parse error (Play's `JsError` at the root: HTTP 400
 * "Invalid JSON"); each reader stops at its first failing filter, so at most one is reported.
 *
 * - `AppDefinitionReads` (POST, `PUT ?partialUpdate=false`, apps of a group) refuses non-empty
 *   `uris` with non-empty `fetch`, `ipAddress` with non-empty `ports` or `portDefinitions`, and
 *   `ports` with `portDefinitions` of other port numbers.
 * - `AppUpdateReads` (`PUT` with `partialUpdate`, `PATCH`) refuses `uris` with `fetch` when both
 *   are given (even empty) and the same `ports`/`portDefinitions` mismatch; it lets `ipAddress`
 *   with ports through.
 *
 * A partial update is then applied to the stored app (`AppUpdate.apply`), whose constructor
 * requires that an app with an `ipAddress` has no port definitions: an `IllegalArgumentException`,
 * which Marathon answers with 422.
 */
import { jsonEqual } from "./field-validators.ts";

/** Which reader parsed the body: a whole definition, or a partial update. */
export type AppReads = "definition" | "update";

/** The readers' messages (Marathon's exact strings). */
export const AppReaderMessages = {
  urisAndFetch: "You cannot specify both uris and fetch fields",
  ipAddressAndPorts: "You cannot specify both an IP address and ports",
  portsAndPortDefinitions: "You cannot specify both ports and port definitions",
  /** `AppDefinition`'s `require`, without the Scala dumps of both values that Marathon's text carries. */
  ipAddressWithPortDefinitions: "IP address and ports are not allowed at the same time",
} as const;

/** The fields the filters compare, as given in the body (`undefined`: absent or null). */
export interface GivenPortsAndFetch {
  uris: readonly string[] | undefined;
  fetch: readonly unknown[] | undefined;
  ports: readonly number[] | undefined;
  portDefinitions: readonly { port: number }[] | undefined;
  ipAddress: boolean;
}

/** The first filter of `reads` that refuses `given`, as its message; undefined when all pass. */
export function readerFilterError(given: GivenPortsAndFetch, reads: AppReads): string | undefined {
  const nonEmpty = (xs: readonly unknown[] | undefined) => xs !== undefined && xs.length > 0;
  const urisAndFetch = reads === "definition"
    ? nonEmpty(given.uris) && nonEmpty(given.fetch)
    : given.uris !== undefined && given.fetch !== undefined;
  if (urisAndFetch) return AppReaderMessages.urisAndFetch;
  if (reads === "definition" && given.ipAddress && (nonEmpty(given.ports) || nonEmpty(given.portDefinitions))) {
    return AppReaderMessages.ipAddressAndPorts;
  }
  const { ports, portDefinitions } = given;
  if (ports !== undefined && portDefinitions !== undefined && !jsonEqual(ports, portDefinitions.map((p) => p.port))) {
    return AppReaderMessages.portsAndPortDefinitions;
  }
  return undefined;
}

/** `AppDefinition`'s `require(ipAddress.isEmpty || portDefinitions.isEmpty)`. */
export function breaksIpAddressRequirement(app: { ipAddress?: unknown; portDefinitions: readonly unknown[] }): boolean {
  return app.ipAddress !== undefined && app.portDefinitions.length > 0;
}
