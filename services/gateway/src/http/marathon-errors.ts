import { GantryError, type ErrorCode } from "@gantry/platform";

const STATUS: Record<ErrorCode, number> = {
  InvalidArgument: 422,
  NotFound: 404,
  AlreadyExists: 409,
  FailedPrecondition: 409,
  Aborted: 409,
  PermissionDenied: 403,
  Unauthenticated: 401,
  Unavailable: 503,
  Internal: 500,
};

/** An HTTP answer in Marathon's error shape. */
export interface MarathonErrorReply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The one place a GantryError becomes Marathon's HTTP error JSON: 422 "Object is not valid"
 * with `details[{path, errors}]` for field violations, 400 "Invalid JSON" for malformed bodies
 * (details.kind = "json"), 409 with `deployments` for locked apps, `{"message"}` otherwise.
 * Anything that is not a GantryError is a 500 whose message reveals nothing internal.
 */
export function toMarathonError(err: unknown): MarathonErrorReply {
  if (!(err instanceof GantryError)) return { status: 500, body: { message: "Internal server error" } };
  if (err.code === "InvalidArgument" && err.details.kind === "json") {
    return { status: 400, body: { message: "Invalid JSON", details: err.violations } };
  }
  if (err.code === "InvalidArgument" && err.details.kind === "media-type") {
    return { status: 415, body: { message: err.message } };
  }
  if (err.code === "InvalidArgument" && err.details.kind === "request") {
    return { status: 400, body: { message: err.message } };
  }
  const body: Record<string, unknown> = { message: err.message };
  if (err.violations.length > 0) body.details = err.violations;
  if (Array.isArray(err.details.deployments)) body.deployments = err.details.deployments;
  return { status: STATUS[err.code], body };
}
