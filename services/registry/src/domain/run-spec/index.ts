/**
 * Normalised Marathon definitions → the typed `RunSpec` the scheduler places and agents run
 * (`gantry.registry.v1.RunSpec`). Marathon's remaining defaults (kill grace, accepted roles,
 * network names) are applied here, once; the scheduler never reads Marathon JSON.
 */
export { appRunSpec, appContainerName } from "./app-run-spec.ts";
export { podRunSpec } from "./pod-run-spec.ts";
export { DEFAULT_ACCEPTED_RESOURCE_ROLES, DEFAULT_KILL_GRACE_PERIOD_SECONDS } from "./spec-parts.ts";
export type { RunSpecVersionInfo } from "./spec-parts.ts";
