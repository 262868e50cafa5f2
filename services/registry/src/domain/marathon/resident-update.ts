/**
 * What a resident app (one with persistent volumes) may not change, as Marathon 1.4.12 checks it
 * on every deployment (`DeploymentPlan.deploymentPlanValidator` →
 * `AppDefinition.updateIsValid(original)` → `residentUpdateIsValid(last)`): when the stored
 * version or the new one is resident, the persistent volumes must stay the same, and so must
 * cpus, mem, disk, gpus, the set of host ports and `requirePorts`. (The third rule of
 * `residentUpdateIsValid`, `upgradeStrategy` valid for resident tasks, is already a rule of
 * every resident app in `validateApp`.) Pure.
 */
import type { FieldViolation } from "@gantry/platform";
import type { AppDefinition, AppVolume } from "./app.model.ts";
import { jsonEqual, renderPath, type PathStyle } from "./field-validators.ts";

/** Marathon's messages (`AppDefinitionValidationTest`). */
export const ResidentUpdateMessages = {
  volumes: "Persistent volumes can not be changed!",
  resources: "Resident Tasks may not change resource requirements!",
} as const;

function persistentVolumes(app: AppDefinition): AppVolume[] {
  return app.container?.volumes.filter((v) => v.persistent !== undefined) ?? [];
}

/**
 * `AppDefinition.hostPorts.flatten.toSet`: the port mappings' host ports when there are
 * mappings (USER mappings without one add none), else the port definitions' ports, whatever
 * `requirePorts` says.
 */
function hostPortSet(app: AppDefinition): Set<number> {
  const mappings = app.container?.docker?.portMappings ?? [];
  if (mappings.length > 0) return new Set(mappings.flatMap((m) => (m.hostPort === undefined ? [] : [m.hostPort])));
  return new Set(app.portDefinitions.map((p) => p.port));
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** `residentUpdateIsValid(from)(to)`'s messages; empty when allowed or when neither version is resident. */
export function residentUpdateErrors(from: AppDefinition, to: AppDefinition): string[] {
  if (from.residency === undefined && to.residency === undefined) return [];
  const errors: string[] = [];
  const fromVolumes = persistentVolumes(from);
  const toVolumes = persistentVolumes(to);
  const sameVolumes =
    fromVolumes.length === toVolumes.length &&
    fromVolumes.every((v) => jsonEqual(toVolumes.find((t) => t.containerPath === v.containerPath), v));
  if (!sameVolumes) errors.push(ResidentUpdateMessages.volumes);
  const sameResources =
    from.cpus === to.cpus &&
    from.mem === to.mem &&
    from.disk === to.disk &&
    from.gpus === to.gpus &&
    sameSet(hostPortSet(from), hostPortSet(to)) &&
    from.requirePorts === to.requirePorts;
  if (!sameResources) errors.push(ResidentUpdateMessages.resources);
  return errors;
}

/**
 * Checks every created or updated app of a deployment against its stored version. `updated` is
 * in the plan's order; violations are where Marathon's HTTP answer puts them: `/app(i)`, `i`
 * the app's index in `updated` (`plan.createdOrUpdatedApps as "app"`). New apps pass.
 */
export function checkResidentUpdates(
  current: ReadonlyMap<string, AppDefinition>,
  updated: readonly AppDefinition[],
  style: PathStyle = "pointer",
): FieldViolation[] {
  return updated.flatMap((to, i) => {
    const from = current.get(to.id);
    const errors = from === undefined ? [] : residentUpdateErrors(from, to);
    return errors.length === 0 ? [] : [{ path: renderPath(["app", i], style), errors }];
  });
}
