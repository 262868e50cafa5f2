/**
 * The one error family of Gantry. Codes are a closed set aligned with gRPC status codes;
 * each is mapped to a gRPC status (grpc/status-mapping.ts) and to Marathon-style HTTP JSON
 * (in the gateway) in exactly one place each.
 */
export type ErrorCode =
  | "InvalidArgument"
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "Aborted"
  | "PermissionDenied"
  | "Unauthenticated"
  | "Unavailable"
  | "Internal";

/** One field that failed validation: its JSON path (`/cpus`, `/container/docker/image`) and what is wrong. */
export interface FieldViolation {
  path: string;
  errors: string[];
}

const RETRYABLE: ReadonlySet<ErrorCode> = new Set(["Unavailable", "Aborted"]);

/**
 * A Gantry error: a code, a message for humans, optional field violations and details.
 * `retryable` is true where repeating the same call may succeed (Unavailable, Aborted).
 */
export class GantryError extends Error {
  readonly code: ErrorCode;
  readonly violations: FieldViolation[];
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { violations?: FieldViolation[]; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GantryError";
    this.code = code;
    this.violations = options.violations ?? [];
    this.details = options.details ?? {};
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

/** Builds an InvalidArgument error carrying field violations, as Marathon's "Object is not valid". */
export function invalidObject(violations: FieldViolation[]): GantryError {
  return new GantryError("InvalidArgument", "Object is not valid", { violations });
}

/** True when `err` is a GantryError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is GantryError {
  return err instanceof GantryError && err.code === code;
}
