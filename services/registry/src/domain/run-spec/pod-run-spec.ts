/**
 * A Marathon 1.4 pod as a `RunSpec`: its containers in order, sharing one agent, network and
 * volumes. Pure; the input is the normalised `PodDefinition` (what `validatePod` returns).
 */
import { create } from "@bufbuild/protobuf";
import { registryV1RunSpec as rs } from "@gantry/proto";
import type { PodDefinition, PodNetwork, PodVolume } from "../marathon/pod.model.ts";
import { podContainerSpec } from "./pod-container.ts";
import { constraintSpec, resourcesSpec, schedulingSpec, secretsSpec, stringMap, type RunSpecVersionInfo } from "./spec-parts.ts";

/**
 * The run spec of one pod version. Invariants: kind POD; containers in the pod's order;
 * config_version = `lastConfigChangeAt`; networks `[]` for the host network, else one CONTAINER
 * network per named container network; accepted roles `["*"]` when the pod names none; never
 * resident, no dependencies, no readiness checks, require_ports false (a pod's fixed host port is
 * always exactly that port). Never throws for a definition `validatePod` produced.
 */
export function podRunSpec(pod: PodDefinition, info: RunSpecVersionInfo): rs.RunSpec {
  const s = pod.scheduling;
  return create(rs.RunSpecSchema, {
    id: pod.id,
    kind: rs.RunSpecKind.POD,
    version: info.version,
    configVersion: info.lastConfigChangeAt,
    instances: pod.scaling.instances,
    containers: pod.containers.map((c) => podContainerSpec(c, pod)),
    ...schedulingSpec({
      constraints: s.placement.constraints.map((c) => constraintSpec(c.fieldName, c.operator, c.value)),
      roles: s.placement.acceptedResourceRoles,
      upgrade: s.upgrade,
      killSelection: s.killSelection,
      unreachable: s.unreachableStrategy,
      backoff: { backoffSeconds: s.backoff.backoff, backoffFactor: s.backoff.backoffFactor, maxLaunchDelaySeconds: s.backoff.maxLaunchDelay },
    }),
    networks: pod.networks.filter((n) => n.mode === "container").map(podNetworkSpec),
    volumes: pod.volumes.map(podVolumeSpec),
    labels: stringMap(pod.labels),
    executorResources: resourcesSpec({ ...pod.executorResources, gpus: 0 }),
    secrets: secretsSpec(pod.secrets),
    user: pod.user ?? "",
  });
}

function podNetworkSpec(n: PodNetwork): rs.NetworkSpec {
  return create(rs.NetworkSpecSchema, { mode: rs.NetworkMode.CONTAINER, name: n.name ?? "", labels: stringMap(n.labels) });
}

function podVolumeSpec(v: PodVolume): rs.VolumeSpec {
  if (v.host !== undefined) return create(rs.VolumeSpecSchema, { name: v.name, kind: rs.VolumeKind.HOST, hostPath: v.host });
  return create(rs.VolumeSpecSchema, { name: v.name, kind: rs.VolumeKind.EPHEMERAL });
}
