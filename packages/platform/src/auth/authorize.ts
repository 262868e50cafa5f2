import { GantryError } from "../errors/index.ts";
import type { Principal } from "./principal.ts";

/**
 * Checks that `principal` may perform `action` (e.g. `read`, `readApp`, `createApp`) on `resource`
 * (e.g. `/apps/web`). The rule for now: role `admin` may do anything; role `viewer` may do actions
 * whose name starts with `read`; nothing else is allowed.
 * Throws a PermissionDenied GantryError naming principal, action and resource otherwise.
 */
export function authorize(principal: Principal, action: string, resource: string): void {
  if (isAllowed(principal, action)) return;
  throw new GantryError(
    "PermissionDenied",
    `principal "${principal.name}" may not ${action} ${resource}`,
    { details: { principal: principal.name, roles: [...principal.roles], action, resource } },
  );
}

/** True when `authorize(principal, action, …)` would pass; for filtering UIs, never for enforcing. */
export function isAllowed(principal: Principal, action: string): boolean {
  if (principal.roles.includes("admin")) return true;
  return principal.roles.includes("viewer") && action.startsWith("read");
}
