import { GantryError } from "../errors/index.ts";
import { grantsOfRoles, permits, resourceIdOf, type Permission } from "./permissions.ts";
import type { Principal } from "./principal.ts";

/** Every permission `principal` holds: its own grants and those its roles stand for. */
export function grantsOf(principal: Principal): Permission[] {
  return [...grantsOfRoles(principal.roles), ...(principal.grants ?? [])];
}

/** True when `principal` holds every one of `required`; for filtering lists, never instead of `authorize`. */
export function isAllowed(principal: Principal, required: Permission | readonly Permission[]): boolean {
  const grants = grantsOf(principal);
  return (Array.isArray(required) ? required : [required]).every((r: Permission) => permits(grants, r));
}

/**
 * Checks that `principal` holds every one of `required` (see permissions.ts for how grants
 * cover them). Throws PermissionDenied naming the principal, the action and the resource id of
 * the first one missing.
 */
export function authorize(principal: Principal, required: Permission | readonly Permission[]): void {
  const grants = grantsOf(principal);
  for (const r of Array.isArray(required) ? (required as readonly Permission[]) : [required as Permission]) {
    if (permits(grants, r)) continue;
    const resource = resourceIdOf(r);
    throw new GantryError("PermissionDenied", `principal "${principal.name}" may not ${r.action} ${resource}`, {
      details: { principal: principal.name, action: r.action, resource },
    });
  }
}
