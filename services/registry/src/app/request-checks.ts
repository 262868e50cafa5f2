import { GantryError, invalidObject, type FieldViolation } from "@gantry/platform";
import { canonicalPath, DCOS_1_9_FEATURES, ID_PATTERN_MESSAGE, invalidSegments, type MarathonValidationOptions, type ValidationFailure } from "../domain/index.ts";

/** Validator options of every registry command: DC/OS 1.9 defaults, Marathon's `/a(0)/b` paths. */
/** How the registry validates: Marathon's paths and messages, DC/OS 1.9's features and secrets (Gantry has a secret store). */
export const VALIDATION: MarathonValidationOptions = { pathStyle: "marathon", features: [...DCOS_1_9_FEATURES, "secrets"] };

/**
 * Turns a validator failure into the error the edge maps: "Invalid JSON" (shape errors, HTTP 400)
 * as InvalidArgument with `details.kind = "json"`, anything else as "Object is not valid" (422).
 * `prefix` puts the violations under an element of a batch (`/0`).
 */
export function validationError(failure: ValidationFailure, prefix = ""): GantryError {
  const violations: FieldViolation[] = failure.violations.map((v) => ({ path: prefix + (prefix && v.path === "/" ? "" : v.path), errors: v.errors }));
  if (failure.message === "Invalid JSON") return new GantryError("InvalidArgument", "Invalid JSON", { violations, details: { kind: "json" } });
  return invalidObject(violations);
}

/**
 * The canonical id of an app, pod or group named in a request (`shop/web` → `/shop/web`).
 * InvalidArgument when a segment breaks Marathon's id pattern, or (apps, pods) for an empty or
 * root id.
 */
export function requestId(raw: string, kind: "app" | "pod" | "group"): string {
  const bad = invalidSegments(raw);
  if (bad.length > 0) {
    throw new GantryError("InvalidArgument", `${kind} id '${raw}' is invalid: ${ID_PATTERN_MESSAGE}`, {
      violations: [{ path: "/id", errors: [ID_PATTERN_MESSAGE] }],
      details: { id: raw },
    });
  }
  const id = canonicalPath(raw);
  if (kind !== "group" && id === "/") {
    throw new GantryError("InvalidArgument", `${kind} id '${raw}' is invalid: Path must contain at least one path element`, {
      violations: [{ path: "/id", errors: ["Path must contain at least one path element"] }],
      details: { id: raw },
    });
  }
  return id;
}

/** A version named in a request, normalised to the stored form (`2026-01-02T03:04:05.000Z`); undefined if it is no timestamp. */
export function requestVersion(raw: string): string | undefined {
  const t = Date.parse(raw);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Marathon's not-found messages. */
export const notFound = {
  app: (id: string) => new GantryError("NotFound", `App '${id}' does not exist`, { details: { id } }),
  pod: (id: string) => new GantryError("NotFound", `Pod '${id}' does not exist`, { details: { id } }),
  group: (id: string) => new GantryError("NotFound", `Group '${id}' does not exist`, { details: { id } }),
  version: (kind: string, id: string, version: string) =>
    new GantryError("NotFound", `${kind} '${id}' does not exist in version ${version}`, { details: { id, version } }),
  deployment: (id: string) => new GantryError("NotFound", `DeploymentPlan ${id} does not exist`, { details: { id } }),
};
