/**
 * A Marathon 1.4 app as a `RunSpec`: a pod of ONE container named after the app id's last path
 * segment. Pure; the input is the normalised `AppDefinition` (what `validateApp` returns).
 */
import { create } from "@bufbuild/protobuf";
import { registryV1RunSpec as rs } from "@gantry/proto";
import { isResident, type AppDefinition } from "../marathon/app.model.ts";
import { appHealthCheckSpec, readinessCheckSpec } from "./app-checks.ts";
import { appEndpoints, appNetworks } from "./app-ports.ts";
import { appVolumeSpecs } from "./app-volumes.ts";
import { artifactSpecs, commandSpec, constraintSpec, DEFAULT_KILL_GRACE_PERIOD_SECONDS, envSpec, resourcesSpec, schedulingSpec, secretsSpec, stringMap } from "./spec-parts.ts";
import type { RunSpecVersionInfo } from "./spec-parts.ts";

/** The name of an app's one container: the last segment of its id (`/shop/web` → `web`). */
export function appContainerName(id: string): string {
  return id.split("/").filter((s) => s.length > 0).at(-1) ?? "";
}

/**
 * The run spec of one app version. Invariants: kind APP; exactly one container; config_version =
 * `lastConfigChangeAt` (unchanged by a scale); executor_resources zero; accepted roles `["*"]`
 * when the app names none; kill grace 3 s when `taskKillGracePeriodSeconds` is absent.
 * Never throws for a definition `validateApp` produced.
 */
export function appRunSpec(app: AppDefinition, info: RunSpecVersionInfo): rs.RunSpec {
  const volumes = appVolumeSpecs(app.container?.volumes ?? []);
  return create(rs.RunSpecSchema, {
    id: app.id,
    kind: rs.RunSpecKind.APP,
    version: info.version,
    configVersion: info.lastConfigChangeAt,
    instances: app.instances,
    containers: [appContainer(app, volumes.mounts)],
    ...schedulingSpec({
      constraints: app.constraints.map(([field, operator, value]) => constraintSpec(field, operator, value)),
      roles: app.acceptedResourceRoles,
      upgrade: app.upgradeStrategy,
      killSelection: app.killSelection,
      unreachable: app.unreachableStrategy,
      backoff: { backoffSeconds: app.backoffSeconds, backoffFactor: app.backoffFactor, maxLaunchDelaySeconds: app.maxLaunchDelaySeconds },
    }),
    networks: appNetworks(app),
    volumes: volumes.volumes,
    labels: stringMap(app.labels),
    requirePorts: app.requirePorts,
    executorResources: resourcesSpec({ cpus: 0, mem: 0, disk: 0, gpus: 0 }),
    readinessChecks: app.readinessChecks.map(readinessCheckSpec),
    secrets: secretsSpec(app.secrets),
    resident: isResident(app),
    user: app.user ?? "",
    dependencies: [...app.dependencies],
  });
}

function appContainer(app: AppDefinition, mounts: rs.VolumeMountSpec[]): rs.ContainerSpec {
  const command = app.cmd !== undefined ? commandSpec({ shell: app.cmd }) : app.args.length > 0 ? commandSpec({ argv: app.args }) : undefined;
  return create(rs.ContainerSpecSchema, {
    name: appContainerName(app.id),
    ...(command ? { command } : {}),
    env: envSpec(app.env),
    resources: resourcesSpec(app),
    endpoints: appEndpoints(app),
    healthChecks: app.healthChecks.map(appHealthCheckSpec),
    artifacts: artifactSpecs(app.fetch),
    volumeMounts: mounts,
    killGracePeriodSeconds: app.taskKillGracePeriodSeconds ?? DEFAULT_KILL_GRACE_PERIOD_SECONDS,
    labels: stringMap(app.labels),
    image: app.container?.docker?.image ?? app.container?.appc?.image ?? "",
  });
}
