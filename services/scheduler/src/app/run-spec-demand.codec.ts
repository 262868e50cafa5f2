import { registryV1RunSpec, type schedulerV1Model } from "@gantry/proto";
import { addResources, ZERO, type ConstraintOperatorName, type PortRequest, type ResourceAmount, type RunSpecDemand } from "../domain/index.ts";

const { ConstraintOperator, KillSelection, RunSpecKind } = registryV1RunSpec;

const OPERATORS: Record<number, ConstraintOperatorName | undefined> = {
  [ConstraintOperator.UNIQUE]: "UNIQUE",
  [ConstraintOperator.LIKE]: "LIKE",
  [ConstraintOperator.CLUSTER]: "CLUSTER",
  [ConstraintOperator.GROUP_BY]: "GROUP_BY",
  [ConstraintOperator.UNLIKE]: "UNLIKE",
  [ConstraintOperator.MAX_PER]: "MAX_PER",
  [ConstraintOperator.IS]: "IS",
};

const resources = (r: schedulerV1Model.Resources | undefined): ResourceAmount => ({ cpus: r?.cpus ?? 0, mem: r?.mem ?? 0, disk: r?.disk ?? 0, gpus: r?.gpus ?? 0 });

/**
 * What the scheduler needs of a registry RunSpec: an instance's resources (every container, plus
 * a pod's executor), accepted roles, constraints (an unknown operator is dropped: the registry
 * validated them), the host ports its endpoints need (endpoints with a host port, 0 = any), its
 * containers (and which have health checks), kill selection and backoff. The RunSpec stays the
 * source of truth for what runs.
 */
export function demandOf(spec: registryV1RunSpec.RunSpec): RunSpecDemand {
  let total = resources(spec.executorResources);
  const ports: PortRequest[] = [];
  let killGracePeriodSeconds = 0;
  for (const c of spec.containers) {
    total = addResources(total, resources(c.resources));
    c.endpoints.forEach((e, index) => {
      if (e.hostPort !== undefined) ports.push({ container: c.name, endpoint: e.name, index, hostPort: e.hostPort, containerPort: e.containerPort });
    });
    killGracePeriodSeconds = Math.max(killGracePeriodSeconds, c.killGracePeriodSeconds);
  }
  const placement = spec.placement;
  return {
    id: spec.id,
    pod: spec.kind === RunSpecKind.POD,
    configVersion: spec.configVersion || spec.version,
    version: spec.version,
    instances: spec.instances,
    resources: spec.containers.length === 0 ? ZERO : total,
    acceptedRoles: placement && placement.acceptedResourceRoles.length > 0 ? [...placement.acceptedResourceRoles] : ["*"],
    constraints: (placement?.constraints ?? []).flatMap((c) => {
      const operator = OPERATORS[c.operator];
      return operator ? [{ field: c.field, operator, value: c.value }] : [];
    }),
    ports,
    containers: spec.containers.map((c) => c.name),
    killSelection: spec.killSelection === KillSelection.OLDEST_FIRST ? "OLDEST_FIRST" : "YOUNGEST_FIRST",
    backoff: {
      backoffSeconds: spec.backoff?.backoffSeconds ?? 1,
      backoffFactor: spec.backoff?.backoffFactor ?? 1.15,
      maxLaunchDelaySeconds: spec.backoff?.maxLaunchDelaySeconds ?? 3600,
    },
    killGracePeriodSeconds: killGracePeriodSeconds || 3,
    upgrade: {
      minimumHealthCapacity: spec.upgrade?.minimumHealthCapacity ?? 1,
      maximumOverCapacity: spec.upgrade?.maximumOverCapacity ?? 1,
    },
    ...(spec.unreachable
      ? { unreachable: { disabled: spec.unreachable.disabled, inactiveAfterSeconds: spec.unreachable.inactiveAfterSeconds, expungeAfterSeconds: spec.unreachable.expungeAfterSeconds } }
      : {}),
    healthCheckedContainers: spec.containers.filter((c) => c.healthChecks.length > 0).map((c) => c.name),
    readinessChecked: spec.readinessChecks.length > 0,
  };
}
