import { Metadata, status, type StatusObject } from "@grpc/grpc-js";
import { GantryError, type ErrorCode, type FieldViolation } from "../errors/index.ts";
import { clippedViolations, decodeStatusDetails, encodeStatusDetails, STATUS_DETAILS_TRAILER } from "./status-details.ts";

/**
 * The one place where GantryError codes meet gRPC status codes, in both directions, and where a
 * GantryError's violations and details are packed into (and read back from) trailing metadata,
 * twice: as gRPC's standard `google.rpc.Status` in `grpc-status-details-bin` (status-details.ts;
 * what generic clients read, and what Gantry's client prefers), and as Gantry's own `gantry-error`
 * (ASCII JSON: `{code, message, violations, details}`, details whole, nested values included).
 */

/** Trailing metadata key carrying a GantryError as JSON. */
export const GANTRY_ERROR_TRAILER = "gantry-error";

const TO_GRPC: Record<ErrorCode, status> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  NotFound: status.NOT_FOUND,
  AlreadyExists: status.ALREADY_EXISTS,
  FailedPrecondition: status.FAILED_PRECONDITION,
  Aborted: status.ABORTED,
  PermissionDenied: status.PERMISSION_DENIED,
  Unauthenticated: status.UNAUTHENTICATED,
  Unavailable: status.UNAVAILABLE,
  Internal: status.INTERNAL,
};

// gRPC codes outside the Gantry family, read as their nearest member: deadline and overload
// are worth retrying (Unavailable), the rest are faults of the software (Internal).
const FROM_GRPC = new Map<number, ErrorCode>([
  ...Object.entries(TO_GRPC).map(([code, grpcCode]) => [grpcCode, code as ErrorCode] as const),
  [status.CANCELLED, "Unavailable"],
  [status.DEADLINE_EXCEEDED, "Unavailable"],
  [status.RESOURCE_EXHAUSTED, "Unavailable"],
  [status.OUT_OF_RANGE, "InvalidArgument"],
  [status.UNKNOWN, "Internal"],
  [status.UNIMPLEMENTED, "Internal"],
  [status.DATA_LOSS, "Internal"],
]);

// Clients accept 8 KiB of trailers by default (gRPC C-core, so Python, and Java), shared by
// grpc-status, grpc-message, grpc-status-details-bin (at most ~2.7 KB of base64) and this one.
const MAX_TRAILER_CHARS = 3500;

/** The gRPC status code of a GantryError code. */
export function grpcStatusFor(code: ErrorCode): status {
  return TO_GRPC[code];
}

/** The GantryError code a gRPC status code reads as (OK is not an error and reads as Internal). */
export function errorCodeFor(grpcCode: number): ErrorCode {
  return FROM_GRPC.get(grpcCode) ?? "Internal";
}

/** The upper-case gRPC name of a status code (`NOT_FOUND`), for logs and span attributes. */
export function grpcStatusName(grpcCode: number): string {
  return status[grpcCode] ?? `CODE_${grpcCode}`;
}

/**
 * A gRPC status received from another server that a proxy sends on unchanged
 * (code, message and trailers), instead of re-mapping it.
 */
export class PassThroughStatus extends Error {
  readonly status: StatusObject;
  constructor(received: StatusObject) {
    super(received.details);
    this.name = "PassThroughStatus";
    this.status = received;
  }
}

/**
 * The gRPC status to send for an error thrown by a handler or interceptor. GantryErrors keep
 * their message and travel in two trailers, each bounded in size (large violation lists are cut,
 * never the call): `grpc-status-details-bin` (google.rpc.Status with ErrorInfo, BadRequest when
 * there are violations, RetryInfo when retryable) and `gantry-error`; PassThroughStatus is sent as
 * is; anything else becomes INTERNAL "internal error" (the error mapping interceptor has already
 * logged it and replaced it with a GantryError, so this is a last line of defence).
 */
export function toGrpcStatus(err: unknown): StatusObject {
  if (err instanceof PassThroughStatus) return err.status;
  const error = err instanceof GantryError ? err : new GantryError("Internal", "internal error");
  const code = grpcStatusFor(error.code);
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_TRAILER, encodeStatusDetails(error, code));
  metadata.set(GANTRY_ERROR_TRAILER, encodeErrorTrailer(error));
  return { code, details: error.message, metadata };
}

/**
 * The GantryError a client should throw for a non-OK status. The code always follows the status
 * code; statuses outside the Gantry family read as their nearest code, with `details.grpcStatus`
 * naming the original. Each trailer is trusted only when it agrees with the status code:
 * message and violations come from `grpc-status-details-bin` (google.rpc.Status, BadRequest),
 * falling back to `gantry-error` (and keeping the latter's violations where it carries more,
 * both being cut from the same list); details come from `gantry-error` (nested values intact),
 * else from the ErrorInfo metadata (strings); the message, failing both, from the status itself.
 */
export function fromGrpcStatus(received: { code: number; details?: string; metadata?: Metadata | null }): GantryError {
  const code = errorCodeFor(received.code);
  const trailer = decodeErrorTrailer(received.metadata?.get(GANTRY_ERROR_TRAILER)[0]);
  const json = trailer && grpcStatusFor(trailer.code) === received.code ? trailer : undefined;
  const rich = decodeStatusDetails(received.metadata?.get(STATUS_DETAILS_TRAILER)[0]);
  const standard = rich && rich.code === received.code ? rich : undefined;

  const details: Record<string, unknown> = json ? { ...json.details } : standard ? { ...standard.errorInfo?.metadata } : { ...trailer?.details };
  if (grpcStatusFor(code) !== received.code) details.grpcStatus = grpcStatusName(received.code);
  const violations =
    standard && errorCount(standard.violations) >= errorCount(json?.violations ?? []) ? standard.violations : (trailer?.violations ?? []);
  const message = standard?.message || json?.message || received.details || grpcStatusName(received.code);
  return new GantryError(code, message, { violations, details });
}

function errorCount(violations: FieldViolation[]): number {
  return violations.reduce((n, v) => n + Math.max(1, v.errors.length), 0);
}

interface ErrorTrailer {
  code: ErrorCode;
  message: string;
  violations: FieldViolation[];
  details: Record<string, unknown>;
}

function encodeErrorTrailer(error: GantryError): string {
  const body: ErrorTrailer = { code: error.code, message: error.message, violations: clippedViolations(error.violations), details: error.details };
  let text = asciiJson(body);
  if (text.length > MAX_TRAILER_CHARS) text = asciiJson({ ...body, details: { truncated: true } });
  while (text.length > MAX_TRAILER_CHARS && body.violations.length > 0) {
    body.violations = body.violations.slice(0, Math.floor(body.violations.length / 2));
    text = asciiJson({ ...body, details: { truncated: true } });
  }
  return text.length > MAX_TRAILER_CHARS ? asciiJson({ code: error.code, message: "", violations: [], details: { truncated: true } }) : text;
}

// Non-binary metadata values must be printable ASCII: escape everything else as JSON \u escapes.
function asciiJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return text.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function decodeErrorTrailer(value: string | Buffer | undefined): ErrorTrailer | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<ErrorTrailer>;
    if (typeof parsed.code !== "string" || !(parsed.code in TO_GRPC)) return undefined;
    const violations = Array.isArray(parsed.violations)
      ? parsed.violations.filter(
          (v): v is FieldViolation =>
            typeof v?.path === "string" && Array.isArray(v.errors) && v.errors.every((e) => typeof e === "string"),
        )
      : [];
    const details = typeof parsed.details === "object" && parsed.details !== null && !Array.isArray(parsed.details) ? parsed.details : {};
    return { code: parsed.code, message: typeof parsed.message === "string" ? parsed.message : "", violations, details };
  } catch {
    return undefined;
  }
}
