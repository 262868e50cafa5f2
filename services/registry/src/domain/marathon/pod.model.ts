/**
 * The normalised Marathon 1.4 pod (`RAML/types/pod.raml` and includes, `M/raml/PodConversion.scala`),
 * as `POST /v2/pods` answers it, minus `version`. Pods run as Mesos task groups on the Mesos
 * containerizer; resources are per container. Every value is plain JSON.
 */
import type { EnvValue, FetchUri, KillSelection, UnreachableStrategy } from "./app.model.ts";
import type { PodConstraint } from "./constraints.ts";

/** `containers[].resources`. */
export interface PodResources {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
}

/** `containers[].exec`: a shell string or an argv vector. */
export interface PodExec {
  command: { shell: string } | { argv: string[] };
  overrideEntrypoint?: boolean;
}

/** `containers[].image`. */
export interface PodImage {
  kind: "DOCKER" | "APPC";
  id: string;
  forcePull?: boolean;
}

/** `containers[].endpoints[]`. Host networking: `hostPort` only; container networking: `containerPort` required. */
export interface PodEndpoint {
  name: string;
  containerPort?: number;
  /** 0 = dynamically allocated. */
  hostPort?: number;
  protocol: string[];
  labels: Record<string, string>;
}

/** `containers[].healthCheck`: exactly one of http, tcp, exec. */
export interface PodHealthCheck {
  http?: { endpoint: string; path?: string; scheme: "HTTP" | "HTTPS" };
  tcp?: { endpoint: string };
  exec?: { command: { shell: string } | { argv: string[] } };
  gracePeriodSeconds: number;
  intervalSeconds: number;
  maxConsecutiveFailures: number;
  timeoutSeconds: number;
  delaySeconds: number;
}

/** `containers[].volumeMounts[]`. */
export interface PodVolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

/** `containers[].artifacts[]`: the same fields and defaults as an app's `fetch` entry. */
export type PodArtifact = FetchUri;

/** One container of the pod. */
export interface PodContainer {
  name: string;
  resources: PodResources;
  exec?: PodExec;
  image?: PodImage;
  endpoints: PodEndpoint[];
  healthCheck?: PodHealthCheck;
  volumeMounts: PodVolumeMount[];
  artifacts: PodArtifact[];
  environment: Record<string, EnvValue>;
  user?: string;
  labels: Record<string, string>;
  lifecycle?: { killGracePeriodSeconds?: number };
}

/** `volumes[]`: without `host`, an ephemeral sandbox volume shared by the containers. */
export interface PodVolume {
  name: string;
  host?: string;
}

/** `networks[]`: one host network, or 1..n named container networks. */
export interface PodNetwork {
  mode: "container" | "host";
  name?: string;
  labels?: Record<string, string>;
}

/** `scheduling`. */
export interface PodScheduling {
  backoff: { backoff: number; backoffFactor: number; maxLaunchDelay: number };
  upgrade: { minimumHealthCapacity: number; maximumOverCapacity: number };
  placement: { constraints: PodConstraint[]; acceptedResourceRoles: string[] };
  killSelection: KillSelection;
  unreachableStrategy: UnreachableStrategy;
}

/** The normalised pod. Invariants: `id` canonical and absolute; all defaults applied. */
export interface PodDefinition {
  id: string;
  labels: Record<string, string>;
  user?: string;
  environment: Record<string, EnvValue>;
  secrets: Record<string, { source: string }>;
  containers: PodContainer[];
  volumes: PodVolume[];
  networks: PodNetwork[];
  scaling: { kind: "fixed"; instances: number };
  scheduling: PodScheduling;
  executorResources: { cpus: number; mem: number; disk: number };
}

/** Marathon's pod defaults. */
export const POD_DEFAULTS = {
  resources: { cpus: 1.0, mem: 128.0, disk: 0.0, gpus: 0 } as PodResources,
  scaling: { kind: "fixed", instances: 1 } as PodDefinition["scaling"],
  backoff: { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 3600 },
  upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  executorResources: { cpus: 0.1, mem: 32, disk: 10 },
  healthCheck: { gracePeriodSeconds: 300, intervalSeconds: 60, maxConsecutiveFailures: 3, timeoutSeconds: 20, delaySeconds: 15 },
  unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
} as const;
