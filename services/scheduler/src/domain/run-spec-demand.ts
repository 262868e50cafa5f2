import type { ResourceAmount } from "./resources.ts";

/** Marathon's constraint operators (IS from 1.6). */
export type ConstraintOperatorName = "UNIQUE" | "LIKE" | "CLUSTER" | "GROUP_BY" | "UNLIKE" | "MAX_PER" | "IS";

/** One placement constraint: `[field, operator, value]` ("" when the operator takes no value). */
export interface ConstraintRule {
  field: string;
  operator: ConstraintOperatorName;
  value: string;
}

/** A host port one endpoint of one container needs: a fixed one, or `0` for any free port. */
export interface PortRequest {
  container: string;
  endpoint: string;
  /** The endpoint's index in its container's endpoints. */
  index: number;
  /** 0 = any free port of the agent's ranges. */
  hostPort: number;
  /** The port inside the container network (0 on the host network). */
  containerPort: number;
}

/** Marathon's launch backoff of a run spec. */
export interface BackoffPolicy {
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
}

/** Marathon's `upgradeStrategy`: the bounds of a rolling upgrade, as fractions of `instances`. */
export interface UpgradeStrategy {
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
}

/**
 * Marathon's `unreachableStrategy`: how long an instance whose agent stopped answering is waited
 * for before it is replaced (inactive), and before it is given up on (expunged).
 */
export interface UnreachableStrategy {
  /** Never replaced nor expunged: it waits for its agent. */
  disabled: boolean;
  inactiveAfterSeconds: number;
  expungeAfterSeconds: number;
}

/**
 * What the scheduler needs of a run spec to place its instances, read once from the registry's
 * typed RunSpec: an instance is ONE unit (every container of a pod, and its executor, on one
 * agent), so `resources` is their sum.
 */
export interface RunSpecDemand {
  id: string;
  pod: boolean;
  /** The configuration instances run: instances of another one are replaced. */
  configVersion: string;
  /** The version of the spec itself (Marathon's `version`). */
  version: string;
  instances: number;
  resources: ResourceAmount;
  /** Roles whose resources an instance may use. */
  acceptedRoles: readonly string[];
  constraints: readonly ConstraintRule[];
  /** Host ports an instance needs, in container and endpoint order. */
  ports: readonly PortRequest[];
  /** Task per container: the containers' names, in order. */
  containers: readonly string[];
  killSelection: "YOUNGEST_FIRST" | "OLDEST_FIRST";
  backoff: BackoffPolicy;
  killGracePeriodSeconds: number;
  /** How instances of another configuration are replaced. */
  upgrade: UpgradeStrategy;
  /** What happens to instances of an agent that stopped answering (absent: replaced at once). */
  unreachable?: UnreachableStrategy;
  /**
   * The containers that have health checks (the agent runs them): in a deployment, an instance
   * counts only once each of their tasks is healthy (Marathon's health gate). Absent or empty:
   * none, RUNNING suffices.
   */
  healthCheckedContainers?: readonly string[];
  /** It has readiness checks: in a deployment, its new instances count once they passed them. */
  readinessChecked?: boolean;
}
