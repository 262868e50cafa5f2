/**
 * The registry service: desired state (apps, pods, groups, every version of them, and the
 * deployments that carry changes out), event-sourced; see README.md beside `src/`.
 */
export { startRegistry } from "./start-registry.ts";
export type { RegistryOptions, RunningRegistry } from "./start-registry.ts";
/** Marathon's AppDefinition JSON schema (`GET /v2/schemas/app`): served, not enforced. */
export { appJsonSchema } from "./domain/index.ts";
