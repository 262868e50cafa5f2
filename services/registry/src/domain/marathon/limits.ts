/**
 * Bounds Marathon 1.4 does not have: Gantry's own, deliberate differences (listed in the domain
 * README). Id segments become task names, VIP labels and Mesos-DNS names, so each must fit a DNS
 * label; the other bounds keep one definition from growing without limit in the event log, in
 * every task's environment and in every launch.
 */
import type { AppDefinition, EnvValue } from "./app.model.ts";
import { check, type Issues, type Path } from "./field-validators.ts";
import { parsePathId } from "./path-id.ts";

/** Every Gantry-only bound, in one place. Lengths are in characters (code points) unless named bytes. */
export const GANTRY_LIMITS = {
  /** Characters in one segment of an app or pod id (a DNS label, RFC 1035). */
  idSegmentLength: 63,
  /** Entries of an app's `labels`. */
  labels: 256,
  labelKeyLength: 128,
  labelValueLength: 4096,
  /** Entries of an app's `env`. */
  envEntries: 1024,
  /** UTF-8 bytes of one `env` value (32 KiB). */
  envValueBytes: 32 * 1024,
  /** Entries of an app's `args`. */
  args: 1024,
  /** Entries of an app's `fetch` (or `uris`). */
  fetch: 128,
} as const;

/** The messages of the bounds above (Gantry's wording). */
export const LimitMessages = {
  idSegment: (segment: string) =>
    `id segment '${abbreviate(segment)}' is ${length(segment)} characters long; each id segment may have at most ${GANTRY_LIMITS.idSegmentLength} (a DNS label)`,
  entries: (field: string, count: number, max: number) => `${field} may have at most ${max} entries, got ${count}`,
  labelKey: (key: string) => `label key is ${length(key)} characters long; at most ${GANTRY_LIMITS.labelKeyLength} are allowed`,
  labelValue: (value: string) => `label value is ${length(value)} characters long; at most ${GANTRY_LIMITS.labelValueLength} are allowed`,
  envValue: (bytes: number) => `env value is ${bytes} bytes long; at most ${GANTRY_LIMITS.envValueBytes} (32 KiB) are allowed`,
} as const;

function length(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The segment as quoted in a message: at most the allowed length, then `…`. */
function abbreviate(s: string): string {
  const chars = [...s];
  return chars.length <= GANTRY_LIMITS.idSegmentLength ? s : `${chars.slice(0, GANTRY_LIMITS.idSegmentLength).join("")}…`;
}

const utf8 = new TextEncoder();

/** Each segment of the canonical `id` fits a DNS label; one violation per long segment, at `path`. */
export function checkIdSegmentLengths(is: Issues, path: Path, id: string): void {
  for (const segment of parsePathId(id).segments) {
    check(is, path, length(segment) <= GANTRY_LIMITS.idSegmentLength, LimitMessages.idSegment(segment));
  }
}

function checkEntries(is: Issues, field: string, count: number, max: number): void {
  check(is, [field], count <= max, LimitMessages.entries(field, count, max));
}

/**
 * The app bounds: label count and sizes, env count and value sizes, args and fetch counts.
 * `fetchField` names the field the client gave (`uris` or `fetch`).
 */
export function checkAppLimits(is: Issues, app: AppDefinition, fetchField: "fetch" | "uris"): void {
  const L = GANTRY_LIMITS;
  checkEntries(is, "labels", Object.keys(app.labels).length, L.labels);
  for (const [key, value] of Object.entries(app.labels)) {
    check(is, ["labels", key], length(key) <= L.labelKeyLength, LimitMessages.labelKey(key));
    check(is, ["labels", key], length(value) <= L.labelValueLength, LimitMessages.labelValue(value));
  }
  checkEntries(is, "env", Object.keys(app.env).length, L.envEntries);
  for (const [name, value] of Object.entries(app.env) as [string, EnvValue][]) {
    if (typeof value !== "string") continue;
    const bytes = utf8.encode(value).byteLength;
    check(is, ["env", name], bytes <= L.envValueBytes, LimitMessages.envValue(bytes));
  }
  checkEntries(is, "args", app.args.length, L.args);
  checkEntries(is, fetchField, app.fetch.length, L.fetch);
}
