import type { DescEnum } from "@bufbuild/protobuf";
import { registryV1, registryV1RunSpec, schedulerV1, schedulerV1Model } from "@gantry/proto";

/**
 * How the CLI names protobuf enum values, in tables and in `--json` alike: the names Marathon and
 * Mesos users know (`TASK_RUNNING`, `UNIQUE`, `container/bridge`), never the proto's prefixed
 * names (`TASK_STATE_RUNNING`). An enum without a rule below is named by its value's name
 * without the enum's shared prefix (`HEALTH_CHECK_PROTOCOL_HTTP` → `HTTP`).
 */

/** The placement checks as `gantry app debug` names its columns (the DC/OS debug overview's). */
const CHECK_NAMES: Readonly<Record<string, string>> = { CPUS: "CPU", GPUS: "GPU", PORTS: "PORT" };

const lowerCase = (name: string) => name.toLowerCase();

/** Per enum (by type name): its value's unprefixed name → the label people see. */
const RULES: ReadonlyMap<string, (name: string) => string> = new Map([
  // Mesos' task states.
  [schedulerV1Model.TaskStateSchema.typeName, (name: string) => `TASK_${name}`],
  [schedulerV1.PlacementDimensionSchema.typeName, (name: string) => CHECK_NAMES[name] ?? name],
  // As `gantry deployment watch` ends: "deployment D succeeded".
  [registryV1.DeploymentStateSchema.typeName, lowerCase],
  // As `gantry group show` lists its members.
  [registryV1RunSpec.RunSpecKindSchema.typeName, lowerCase],
  // Marathon's pod network modes.
  [registryV1RunSpec.NetworkModeSchema.typeName, (name: string) => (name === "CONTAINER_BRIDGE" ? "container/bridge" : name.toLowerCase())],
]);

/** The label of `value` of enum `desc`; the number itself when the enum has no such value (a newer peer). */
export function enumLabel(desc: DescEnum, value: number): string {
  const known = desc.value[value];
  if (!known) return String(value);
  const rule = RULES.get(desc.typeName);
  return rule ? rule(known.localName) : known.localName;
}

/** The Mesos name of a task state: `TASK_RUNNING`. */
export function taskStateLabel(state: schedulerV1Model.TaskState): string {
  return enumLabel(schedulerV1Model.TaskStateSchema, state);
}

/** A placement check's name: `ROLE`, `CONSTRAINT`, `MAINTENANCE`, `CPU`, `MEM`, `DISK`, `GPU`, `PORT`. */
export function checkLabel(dimension: schedulerV1.PlacementDimension): string {
  return enumLabel(schedulerV1.PlacementDimensionSchema, dimension);
}
