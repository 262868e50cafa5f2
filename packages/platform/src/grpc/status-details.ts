import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { anyIs, anyPack, anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import { googleRpc, googleRpcErrorDetails } from "@gantry/proto";
import type { GantryError, FieldViolation } from "../errors/index.ts";

/**
 * gRPC's standard rich error model for GantryErrors: a `google.rpc.Status` (code, message and
 * Any-packed details) in the binary trailer `grpc-status-details-bin`, which grpcurl, Python's
 * `grpcio-status`, Go's `status.FromError(…).Details()` and other generic clients read. Details
 * packed, in this order:
 *
 * - `google.rpc.ErrorInfo`: `reason` = the Gantry code in UPPER_SNAKE (`INVALID_ARGUMENT`),
 *   `domain` = "gantry", `metadata` = the scalar entries of `error.details` as strings.
 * - `google.rpc.BadRequest`: one FieldViolation per error string of each violation (`field` = the
 *   violation's path as Gantry gives it, `/containers/0/name`; `description` = the error text).
 *   Only when there are violations.
 * - `google.rpc.RetryInfo`: only when the error is `retryable` (Unavailable, Aborted). Gantry
 *   declares no delay, so `retry_delay` is unset: the client picks its own backoff.
 *
 * This module only encodes and decodes; status-mapping.ts decides what is sent and trusted.
 */

/** Binary trailing metadata key of the standard `google.rpc.Status` (value: its protobuf bytes). */
export const STATUS_DETAILS_TRAILER = "grpc-status-details-bin";

/** `google.rpc.ErrorInfo.domain` of every error a Gantry server sends. */
export const ERROR_INFO_DOMAIN = "gantry";

/**
 * At most this many BadRequest FieldViolations (one per error string) are packed; the rest are
 * dropped, and so are as many more as needed to keep the encoded Status within
 * `MAX_STATUS_DETAILS_BYTES`. What was dropped is counted in ErrorInfo metadata
 * `fieldViolationsOmitted`; the packed ones are always a prefix of the error's violations.
 */
export const MAX_PACKED_FIELD_VIOLATIONS = 100;

/**
 * Upper bound of the encoded `google.rpc.Status` in bytes (base64 on the wire: about 2.7 KB).
 * With the `gantry-error` trailer's own bound, the trailers stay under the 8 KiB of metadata
 * that gRPC clients accept by default (C-core, so Python; Java), messages of ordinary length
 * included. Past it, violations, then metadata, then the message are dropped.
 */
export const MAX_STATUS_DETAILS_BYTES = 2048;

// ErrorInfo metadata is for identifiers, not payloads. googleapis asks for keys like
// `[a-z][a-zA-Z0-9-_]+` of at most 64 characters; one-letter keys are let through (no client checks).
const MAX_METADATA_ENTRIES = 16;
const MAX_METADATA_VALUE_CHARS = 256;
const METADATA_KEY = /^[a-z][a-zA-Z0-9\-_]{0,63}$/;

/**
 * A violation's path and each of its error texts are cut to this many characters (the cut marked
 * with the full length) before packing, so that one error quoting a huge value (a 5,000-character
 * group id in "is not a child of …") costs a few hundred bytes instead of pushing every
 * violation out of the bounded trailers.
 */
export const MAX_VIOLATION_TEXT_CHARS = 256;

/** `violations` with every path and error text of more than `MAX_VIOLATION_TEXT_CHARS` cut (what the trailers carry). */
export function clippedViolations(violations: readonly FieldViolation[]): FieldViolation[] {
  const clip = (text: string) => (text.length <= MAX_VIOLATION_TEXT_CHARS ? text : `${text.slice(0, MAX_VIOLATION_TEXT_CHARS - 32)}… (${text.length} characters)`);
  return violations.map((v) => ({ path: clip(v.path), errors: v.errors.map(clip) }));
}

const { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } = googleRpcErrorDetails;
type FieldViolationInit = MessageInitShape<typeof googleRpcErrorDetails.BadRequest_FieldViolationSchema>;

/** The `google.rpc.ErrorInfo.reason` of a Gantry code: UPPER_SNAKE (`FailedPrecondition` → `FAILED_PRECONDITION`). */
export function errorInfoReason(code: GantryError["code"]): string {
  return code.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * The `grpc-status-details-bin` value for `error` sent with gRPC status `grpcCode`: a
 * `google.rpc.Status` whose code is `grpcCode` and message `error.message`, never longer than
 * `MAX_STATUS_DETAILS_BYTES` (see there for what is dropped to fit).
 */
export function encodeStatusDetails(error: GantryError, grpcCode: number): Buffer {
  const fieldViolations: FieldViolationInit[] = clippedViolations(error.violations).flatMap((v) =>
    // A violation without error text still names its field.
    v.errors.length > 0 ? v.errors.map((description) => ({ field: v.path, description })) : [{ field: v.path }],
  );
  const metadata = scalarMetadata(error.details);
  const encode = (packed: number, withMetadata: boolean, message: string) => {
    const meta: Record<string, string> = withMetadata ? { ...metadata } : {};
    if (packed < fieldViolations.length) meta.fieldViolationsOmitted = String(fieldViolations.length - packed);
    const details: Any[] = [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: errorInfoReason(error.code), domain: ERROR_INFO_DOMAIN, metadata: meta }))];
    if (packed > 0) details.push(anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: fieldViolations.slice(0, packed) })));
    if (error.retryable) details.push(anyPack(RetryInfoSchema, create(RetryInfoSchema)));
    return toBinary(googleRpc.StatusSchema, create(googleRpc.StatusSchema, { code: grpcCode, message, details }));
  };
  const fits = (bytes: Uint8Array) => bytes.length <= MAX_STATUS_DETAILS_BYTES;

  const cap = Math.min(fieldViolations.length, MAX_PACKED_FIELD_VIOLATIONS);
  let bytes = encode(cap, true, error.message);
  if (!fits(bytes)) {
    // The size grows with the number packed: binary-search the longest prefix that fits.
    let lo = 0;
    let hi = cap - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(encode(mid, true, error.message))) lo = mid;
      else hi = mid - 1;
    }
    bytes = encode(lo, true, error.message);
  }
  if (!fits(bytes)) bytes = encode(0, false, error.message);
  if (!fits(bytes)) bytes = encode(0, false, ""); // the message still travels as grpc-message
  return Buffer.from(bytes);
}

/** What a received `google.rpc.Status` says, flattened to Gantry's shapes. */
export interface DecodedStatusDetails {
  /** `Status.code`: the gRPC status code the sender meant. */
  code: number;
  /** `Status.message`; "" when the sender left it out. */
  message: string;
  /** The BadRequest FieldViolations grouped by field, in order of first appearance; [] if none. */
  violations: FieldViolation[];
  /** The first ErrorInfo, if any. */
  errorInfo?: { reason: string; domain: string; metadata: Record<string, string> };
}

/**
 * Reads a `grpc-status-details-bin` value as a generic client does: `google.rpc.Status` from
 * binary, then each Any by its type URL (unknown types are skipped). Undefined when the value
 * is missing or not a Status; never throws.
 */
export function decodeStatusDetails(value: string | Buffer | undefined): DecodedStatusDetails | undefined {
  if (!Buffer.isBuffer(value)) return undefined;
  let status: googleRpc.Status;
  try {
    status = fromBinary(googleRpc.StatusSchema, value);
  } catch {
    return undefined;
  }
  const byField = new Map<string, string[]>();
  let errorInfo: DecodedStatusDetails["errorInfo"];
  for (const any of status.details) {
    try {
      if (anyIs(any, BadRequestSchema)) {
        for (const fv of anyUnpack(any, BadRequestSchema)?.fieldViolations ?? []) {
          const errors = byField.get(fv.field) ?? [];
          if (fv.description !== "") errors.push(fv.description);
          byField.set(fv.field, errors);
        }
      } else if (anyIs(any, ErrorInfoSchema) && !errorInfo) {
        const info = anyUnpack(any, ErrorInfoSchema);
        if (info) errorInfo = { reason: info.reason, domain: info.domain, metadata: { ...info.metadata } };
      }
    } catch {
      // A detail that does not decode is ignored, as generic clients do.
    }
  }
  const violations = [...byField].map(([path, errors]) => ({ path, errors }));
  return { code: status.code, message: status.message, violations, ...(errorInfo ? { errorInfo } : {}) };
}

// String forms of the scalar entries (strings, finite numbers, booleans, bigints); nested objects,
// arrays, null and oversized values are left out, and so are keys ErrorInfo does not allow.
function scalarMetadata(details: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [key, value] of Object.entries(details)) {
    if (n >= MAX_METADATA_ENTRIES) break;
    if (!METADATA_KEY.test(key)) continue;
    let text: string;
    if (typeof value === "string") text = value;
    else if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "boolean" || typeof value === "bigint") text = String(value);
    else continue;
    if (text.length > MAX_METADATA_VALUE_CHARS) continue;
    out[key] = text;
    n++;
  }
  return out;
}
