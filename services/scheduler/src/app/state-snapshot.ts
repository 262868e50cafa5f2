import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import type { Position } from "@gantry/platform";
import { registryV1RunSpec } from "@gantry/proto";
import type { ActiveDeployment, AgentNode, BackoffState, Instance, ResourceAmount, TaskFailure } from "../domain/index.ts";
import { demandOf } from "./run-spec-demand.codec.ts";
import type { SchedulerState } from "./scheduler-state.ts";

/** The version of the snapshot layout; a snapshot of another version is ignored (the log is folded instead). */
export const SNAPSHOT_SCHEMA_VERSION = 2;

/** An agent as a snapshot stores it (its per-role totals as pairs). */
type StoredAgent = Omit<AgentNode, "totalByRole"> & { totalByRole: [string, ResourceAmount][] };

/** The JSON document a snapshot stores: everything the state folds, and the position it folds up to. */
interface SnapshotDocument {
  position: { transactionId: string; globalPosition: string };
  lastStatusSequence: string;
  runSpecs: JsonValue[];
  agents: StoredAgent[];
  instances: Instance[];
  backoff: [string, BackoffState][];
  appOrigins: [string, { deploymentId: string; traceparent?: string }][];
  /** Absent in snapshots taken before failures were kept. */
  lastFailures?: [string, TaskFailure][];
  /** `steps` and `currentStep` are absent in snapshots taken before plans ran step by step. */
  deployments: (Omit<ActiveDeployment, "steps" | "currentStep"> & Partial<Pick<ActiveDeployment, "steps" | "currentStep">>)[];
  streamVersions: [string, number][];
}

/**
 * Encodes the state as a snapshot (UTF-8 JSON): loading it and folding the log after its
 * position gives the same state as folding the whole log. A leader's state may hold its own
 * latest appends beyond the position; folding after the position meets them again and skips them
 * by stream version (or, for an instance that ended meanwhile, folds its stream to its end).
 */
export function encodeSnapshot(state: SchedulerState): { position: Position; data: Buffer } {
  const doc: SnapshotDocument = {
    position: { transactionId: state.position.transactionId.toString(), globalPosition: state.position.globalPosition.toString() },
    lastStatusSequence: state.lastStatusSequence.toString(),
    runSpecs: [...state.runSpecs.values()].map((k) => toJson(registryV1RunSpec.RunSpecSchema, k.spec)),
    agents: [...state.agents.values()].map((a) => ({ ...a, totalByRole: [...a.totalByRole] })),
    instances: [...state.instances.values()],
    backoff: [...state.backoff],
    appOrigins: [...state.appOrigins],
    lastFailures: [...state.lastFailures],
    deployments: [...state.deployments.values()],
    streamVersions: [...state.streamVersions],
  };
  return { position: state.position, data: Buffer.from(JSON.stringify(doc)) };
}

/** Loads a snapshot into an EMPTY state (run specs, then agents, then instances, so ledgers and counters fill); agents count as heard from now. */
export function decodeSnapshot(state: SchedulerState, data: Buffer, now: number): void {
  const doc = JSON.parse(data.toString("utf8")) as SnapshotDocument;
  state.position = { transactionId: BigInt(doc.position.transactionId), globalPosition: BigInt(doc.position.globalPosition) };
  state.lastStatusSequence = BigInt(doc.lastStatusSequence);
  for (const json of doc.runSpecs) {
    const spec = fromJson(registryV1RunSpec.RunSpecSchema, json, { ignoreUnknownFields: true });
    state.putRunSpec({ spec, demand: demandOf(spec) });
  }
  for (const agent of doc.agents) state.putAgent({ ...agent, totalByRole: new Map(agent.totalByRole), lastSeenAt: now, heartbeatIntervalSeconds: agent.heartbeatIntervalSeconds ?? 0 });
  for (const inst of doc.instances) state.putInstance(inst);
  for (const [appId, b] of doc.backoff) state.backoff.set(appId, b);
  for (const [appId, o] of doc.appOrigins) state.appOrigins.set(appId, o);
  for (const [appId, f] of doc.lastFailures ?? []) state.lastFailures.set(appId, f);
  // Snapshots taken before plans were carried out step by step hold no steps: nothing is held back.
  for (const d of doc.deployments) state.deployments.set(d.id, { ...d, steps: d.steps ?? [], currentStep: d.currentStep ?? 0 });
  for (const [streamId, version] of doc.streamVersions) state.streamVersions.set(streamId, version);
}
