/**
 * The registry's pure domain: Marathon 1.4 app/pod/group model, validation and normalisation,
 * the dependency graph, the deployment plan, and the typed RunSpec of every app and pod version.
 * No I/O; see `README.md` beside this file.
 */
export { validateApp, validateAppUpdate, checkId, describeViolations, AppMessages, ID_PATTERN_MESSAGE } from "./marathon/app-validator.ts";
export { checkResidentUpdates, residentUpdateErrors, ResidentUpdateMessages } from "./marathon/resident-update.ts";
export type { AppValidationResult, AppUpdateOptions } from "./marathon/app-validator.ts";
export { validatePod, PodMessages, commandCheckMessage } from "./marathon/pod-validator.ts";
export type { PodValidationResult } from "./marathon/pod-validator.ts";
export { validateGroup, checkGroupTree, flattenGroup, GroupMessages } from "./marathon/group-validator.ts";
export type { GroupDefinition, GroupValidationResult } from "./marathon/group-validator.ts";
export {
  buildDependencyGraph,
  detectDependencyCycles,
  longestPathLengths,
  CYCLE_MESSAGE,
  describeCycle,
} from "./marathon/dependency-graph.ts";
export type { DependencyGraph, RunSpecNode, GroupDependencies } from "./marathon/dependency-graph.ts";
export { computeDeploymentPlan, computeScopedDeploymentPlan, runSpecSetOf } from "./marathon/deployment-plan.ts";
export { usesExternalVolumes } from "./marathon/external-volumes.ts";
export type {
  DeploymentPlan,
  DeploymentStep,
  DeploymentAction,
  AppActionName,
  PodActionName,
  RunSpecSet,
  DeploymentPlanOptions,
  PlannedRunSpec,
} from "./marathon/deployment-plan.ts";
export { appJsonSchema } from "./marathon/app.schema.ts";
export { compileOptions, DCOS_1_9_FEATURES } from "./marathon/common-rules.ts";
export type { MarathonValidationOptions } from "./marathon/common-rules.ts";
export { renderPath, jsonEqual, isObject, has, INVALID_JSON, OBJECT_NOT_VALID, INT32_MAX } from "./marathon/field-validators.ts";
export type { ValidationFailure, PathStyle } from "./marathon/field-validators.ts";
export { canonicalPath, isChildOf, isUnder, invalidSegments, parentOf, safePath, ID_PATH_SEGMENT_PATTERN, ROOT_ID } from "./marathon/path-id.ts";
export { APP_DEFAULTS, CONSTRAINT_OPERATORS } from "./marathon/app.model.ts";
export type {
  AppDefinition,
  AppContainer,
  AppHealthCheck,
  AppVolume,
  AppConstraint,
  ConstraintOperator,
  DockerSpec,
  EnvValue,
  FetchUri,
  IpAddress,
  PortDefinition,
  PortMapping,
  ReadinessCheck,
  Residency,
  UnreachableStrategy,
  UpgradeStrategy,
  KillSelection,
} from "./marathon/app.model.ts";
export { POD_DEFAULTS } from "./marathon/pod.model.ts";
export type { PodDefinition, PodContainer, PodEndpoint, PodHealthCheck, PodNetwork, PodVolume } from "./marathon/pod.model.ts";
export type { PodConstraint } from "./marathon/constraints.ts";
export { appRunSpec, podRunSpec, appContainerName, DEFAULT_ACCEPTED_RESOURCE_ROLES, DEFAULT_KILL_GRACE_PERIOD_SECONDS } from "./run-spec/index.ts";
export type { RunSpecVersionInfo } from "./run-spec/index.ts";
