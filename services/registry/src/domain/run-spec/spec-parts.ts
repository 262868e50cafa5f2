/**
 * The parts of a `RunSpec` that apps and pods map alike: commands, environment, artifacts,
 * resources, placement and the scheduling strategies. Pure; every function takes a normalised
 * value (defaults already applied by the validators) and returns a new message.
 */
import { create } from "@bufbuild/protobuf";
import { registryV1RunSpec as rs, schedulerV1Model } from "@gantry/proto";
import type { ConstraintOperator, EnvValue, FetchUri, KillSelection, UnreachableStrategy } from "../marathon/app.model.ts";

/** The version a run spec is built for: Marathon's `version` and `versionInfo.lastConfigChangeAt`. */
export interface RunSpecVersionInfo {
  version: string;
  lastConfigChangeAt: string;
}

/**
 * Seconds between SIGTERM and SIGKILL when Marathon sets no kill policy (no
 * `taskKillGracePeriodSeconds`, no pod `lifecycle.killGracePeriodSeconds`): Mesos' executors then
 * wait 3 s ("Default grace period is set to 3s for backwards compatibility").
 */
export const DEFAULT_KILL_GRACE_PERIOD_SECONDS = 3;

/** `--default_accepted_resource_roles` of DC/OS 1.9: used when a run spec names no roles. */
export const DEFAULT_ACCEPTED_RESOURCE_ROLES: readonly string[] = ["*"];

const OPERATORS: Record<ConstraintOperator, rs.ConstraintOperator> = {
  UNIQUE: rs.ConstraintOperator.UNIQUE,
  LIKE: rs.ConstraintOperator.LIKE,
  CLUSTER: rs.ConstraintOperator.CLUSTER,
  GROUP_BY: rs.ConstraintOperator.GROUP_BY,
  UNLIKE: rs.ConstraintOperator.UNLIKE,
  MAX_PER: rs.ConstraintOperator.MAX_PER,
  IS: rs.ConstraintOperator.IS,
};

const KILL_SELECTIONS: Record<KillSelection, rs.KillSelection> = {
  YOUNGEST_FIRST: rs.KillSelection.YOUNGEST_FIRST,
  OLDEST_FIRST: rs.KillSelection.OLDEST_FIRST,
};

/** A shell command line or an argument vector. */
export function commandSpec(command: { shell: string } | { argv: readonly string[] }): rs.CommandSpec {
  if ("shell" in command) return create(rs.CommandSpecSchema, { kind: { case: "shell", value: command.shell } });
  return create(rs.CommandSpecSchema, { kind: { case: "argv", value: create(rs.ArgvSpecSchema, { args: [...command.argv] }) } });
}

/** Environment variables: literals stay literals, `{secret}` references name a secret of the run spec. */
export function envSpec(env: Readonly<Record<string, EnvValue>>): Record<string, rs.EnvValue> {
  const out: Record<string, rs.EnvValue> = {};
  for (const [name, value] of Object.entries(env)) {
    out[name] = create(rs.EnvValueSchema, { kind: typeof value === "string" ? { case: "value", value } : { case: "secret", value: value.secret } });
  }
  return out;
}

/** Secrets by name → their source. */
export function secretsSpec(secrets: Readonly<Record<string, { source: string }>>): Record<string, string> {
  return Object.fromEntries(Object.entries(secrets).map(([name, s]) => [name, s.source]));
}

/** Artifacts fetched into the sandbox (`fetch`, pod `artifacts`); no `destPath` = the URI's file name (""). */
export function artifactSpecs(fetch: readonly FetchUri[]): rs.ArtifactSpec[] {
  return fetch.map((f) =>
    create(rs.ArtifactSpecSchema, { uri: f.uri, extract: f.extract, executable: f.executable, cache: f.cache, destPath: f.destPath ?? "" }),
  );
}

/** Scalar resources; GPUs are whole devices. */
export function resourcesSpec(r: { cpus: number; mem: number; disk: number; gpus: number }): schedulerV1Model.Resources {
  return create(schedulerV1Model.ResourcesSchema, { cpus: r.cpus, mem: r.mem, disk: r.disk, gpus: r.gpus });
}

/** One constraint; a constraint without a value gets "". */
export function constraintSpec(field: string, operator: ConstraintOperator, value: string | undefined): rs.ConstraintSpec {
  return create(rs.ConstraintSpecSchema, { field, operator: OPERATORS[operator], value: value ?? "" });
}

/** What every run spec says about scheduling, from the normalised values apps and pods name differently. */
export interface SchedulingInput {
  constraints: rs.ConstraintSpec[];
  /** Accepted resource roles; undefined or empty = the default. */
  roles: readonly string[] | undefined;
  upgrade: { minimumHealthCapacity: number; maximumOverCapacity: number };
  killSelection: KillSelection;
  unreachable: UnreachableStrategy;
  backoff: { backoffSeconds: number; backoffFactor: number; maxLaunchDelaySeconds: number };
}

/** The run spec's scheduling fields. */
export interface SchedulingSpec {
  placement: rs.PlacementSpec;
  upgrade: rs.UpgradeStrategySpec;
  killSelection: rs.KillSelection;
  unreachable: rs.UnreachableStrategySpec;
  backoff: rs.BackoffSpec;
}

/**
 * Placement and strategies. No roles (an app without `acceptedResourceRoles`, a pod with `[]`)
 * means Marathon's `--default_accepted_resource_roles`, `["*"]` in DC/OS 1.9; an unreachable
 * strategy `"disabled"` becomes `disabled` with zero timeouts.
 */
export function schedulingSpec(s: SchedulingInput): SchedulingSpec {
  const roles = s.roles === undefined || s.roles.length === 0 ? DEFAULT_ACCEPTED_RESOURCE_ROLES : s.roles;
  const u = s.unreachable;
  return {
    placement: create(rs.PlacementSpecSchema, { constraints: s.constraints, acceptedResourceRoles: [...roles] }),
    upgrade: create(rs.UpgradeStrategySpecSchema, s.upgrade),
    killSelection: KILL_SELECTIONS[s.killSelection],
    unreachable: create(
      rs.UnreachableStrategySpecSchema,
      u === "disabled" ? { disabled: true } : { inactiveAfterSeconds: u.inactiveAfterSeconds, expungeAfterSeconds: u.expungeAfterSeconds },
    ),
    backoff: create(rs.BackoffSpecSchema, s.backoff),
  };
}

/** A copy of a string map (labels, options), so the message never aliases the definition. */
export function stringMap(m: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return { ...(m ?? {}) };
}
