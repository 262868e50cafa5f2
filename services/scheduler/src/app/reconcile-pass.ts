import { create } from "@bufbuild/protobuf";
import { eventsV1Instance } from "@gantry/proto";
import { recordPlacements, recordQueueDepth } from "@gantry/platform";
import {
  candidateLimit,
  createPlacementStack,
  heldRunSpecs,
  reconcileRunSpec,
  type Instance,
  type Placement,
  type PlacementContext,
  type RunSpecDemand,
} from "../domain/index.ts";
import { CommandBatches, killCommands, launchInstanceCommand } from "./agent-commands.ts";
import { deploymentProgress, type InstancesOf } from "./deployment-rollout.ts";
import { everyTaskChange, killRequest } from "./instance-events.ts";
import { firstRefusalOf, type AgentCheck } from "./placement-explanations.ts";
import type { StreamBatch } from "./ports.ts";
import type { SchedulerContext } from "./scheduler.ts";
import type { KnownRunSpec } from "./scheduler-state.ts";

/** Placements one pass (one transaction) takes on at most; what is left is placed by the next pass at once. */
const MAX_PLACEMENTS_PER_PASS = 5_000;

/** Cluster policy of placement, compiled by the caller. */
export interface PlacementPolicy {
  scoring: "binpack" | "spread";
  /** Keep agents with GPUs for instances that need GPUs (DC/OS's default). */
  reserveGpuAgents: boolean;
}

/** A placed instance of this pass, not yet committed: what to undo if the decision is not written. */
interface Tentative {
  instance: Instance;
  known: KnownRunSpec;
  placement: Placement;
}

/**
 * The reconcile pass (leader only), over the run specs that changed since the last one (the
 * `dirty` queue: a new version, an instance that ended, an agent that joined or came back, a
 * backoff that expired), never a full diff of the cluster: kills unwanted instances; places the
 * missing ones on agents that fit, each placement held at once in the agent's ledger and the
 * constraint counters so the next one in the same pass sees it; records what still waits and
 * why; writes the whole decision in ONE transaction (InstancePlaced…, InstanceKillRequested…),
 * then sends each agent one command batch and settles finished deployments. If the decision is
 * not written, every tentative hold is undone. Nothing is sent before the decision committed.
 */
export async function reconcileNow(ctx: SchedulerContext, policy: PlacementPolicy): Promise<void> {
  const { state, ports } = ctx;
  const now = ports.now();
  const stack = stackFor(policy);
  const batches: StreamBatch[] = [];
  const commands = new CommandBatches();
  const tentative: Tentative[] = [];
  const killedIds = new Set<string>();
  const expungedIds = new Set<string>();
  const dirty = [...state.dirty];
  state.dirty.clear();
  // Run specs a later step of a deployment acts on wait for their step (deployment-rollout.ts).
  const held = heldRunSpecs(state.deployments.values());
  const killFirst = new Set([...state.deployments.values()].flatMap((d) => d.instancesToKill ?? []));
  for (const [i, id] of dirty.entries()) {
    if (held.has(id)) continue;
    if (tentative.length >= MAX_PLACEMENTS_PER_PASS) {
      for (const rest of dirty.slice(i)) state.dirty.add(rest);
      ctx.reconcileSoon();
      break;
    }
    const known = state.runSpecs.get(id);
    const plan = reconcileRunSpec(known?.demand, state.instancesOf(id), { killFirst, now, agentOf: (agentId) => state.agents.get(agentId) });
    if (plan.rolling) state.rolling.add(id);
    else state.rolling.delete(id);
    if (plan.unreachable) state.awaitingAgents.add(id);
    else state.awaitingAgents.delete(id);
    for (const inst of plan.expunge) {
      batches.push(expunged(ctx, inst, known?.demand, now));
      expungedIds.add(inst.instanceId);
    }
    for (const { instance, reason } of plan.kills) {
      batches.push(killRequest(ctx, instance, reason));
      commands.add(instance.agentId, ...killCommands(ctx, instance));
      killedIds.add(instance.instanceId);
    }
    if (!known || plan.launch === 0) {
      state.explanations.placed(id);
      continue;
    }
    const backoff = state.backoff.get(id);
    if (backoff && backoff.notBefore > now) {
      state.explanations.recordWaiting(id, plan.launch, [...(state.explanations.get(id)?.agents.values() ?? [])], { processed: 0, refused: {}, placed: 0 }, now);
      continue;
    }
    placeInstances(ctx, stack, policy, known, Math.min(plan.launch, MAX_PLACEMENTS_PER_PASS - tentative.length), now, tentative, batches, commands);
  }
  // How deployments move on, judged on the instances as this decision leaves them, and written
  // in the same transaction (a create's first step starts with its placements).
  const progress = deploymentProgress(ctx, afterDecision(ctx, tentative, killedIds, expungedIds));
  batches.push(...progress.batches);
  const decided = ports.now();
  if (batches.length > 0) {
    try {
      // One transaction for the whole decision: either every placement and kill is recorded or none is.
      await ctx.append(batches);
    } catch (err) {
      for (const t of tentative) {
        state.ledgerOf(t.instance.agentId).release(t.instance.instanceId);
        state.constraints.get(t.instance.appId)?.remove(t.instance.instanceId);
      }
      for (const id of dirty) state.dirty.add(id);
      throw err;
    }
    const written = ports.now();
    recordPlacements(tentative.length);
    commands.send(ctx);
    ports.logger.info({ placed: tentative.length, killed: killedIds.size, agents: commands.agents, decideMs: decided - now, writeMs: written - decided, sendMs: ports.now() - written }, "reconciled");
  }
  recordQueueDepth([...state.explanations.waitingIds()].length);
  if (progress.stepStarted) ctx.reconcileSoon();
}

/**
 * The live instances of an app as the pass's decision leaves them once folded: its placements
 * added (staging), its kills marked, its expunged instances gone.
 */
function afterDecision(ctx: SchedulerContext, tentative: readonly Tentative[], killed: ReadonlySet<string>, expunged: ReadonlySet<string>): InstancesOf {
  const placed = new Map<string, Instance[]>();
  for (const t of tentative) {
    const list = placed.get(t.instance.appId);
    if (list) list.push(t.instance);
    else placed.set(t.instance.appId, [t.instance]);
  }
  return function* (appId) {
    for (const inst of ctx.state.instancesOf(appId)) {
      if (expunged.has(inst.instanceId)) continue;
      yield killed.has(inst.instanceId) && !inst.killRequested ? { ...inst, killRequested: true } : inst;
    }
    yield* placed.get(appId) ?? [];
  };
}

/** Places up to `count` instances of one run spec; what cannot be placed is recorded as waiting, with why. */
function placeInstances(
  ctx: SchedulerContext,
  stack: ReturnType<typeof createPlacementStack>,
  policy: PlacementPolicy,
  known: KnownRunSpec,
  count: number,
  now: number,
  tentative: Tentative[],
  batches: StreamBatch[],
  commands: CommandBatches,
): void {
  const { state, ports } = ctx;
  const { demand } = known;
  const pctx = placementContext(ctx, demand, policy);
  const classVerdicts = state.classVerdicts.get(demand.id) ?? new Map();
  state.classVerdicts.set(demand.id, classVerdicts);
  const candidates = state.candidates();
  const limit = candidateLimit(candidates.length);
  const examined = { processed: 0, refused: {} as Record<string, number>, placed: 0 };
  for (let i = 0; i < count; i++) {
    const selection = stack.select(candidates, pctx, classVerdicts, limit);
    examined.processed += selection.examined;
    for (const [code, n] of Object.entries(selection.refused)) examined.refused[code] = (examined.refused[code] ?? 0) + n;
    const placement = selection.placement;
    if (!placement) {
      // Nothing fits: keep, for every agent, the verdict on every dimension (a full scan).
      const checks: AgentCheck[] = candidates.map((agent) => {
        const dimensions = stack.explain(agent, pctx);
        return { agentId: agent.agentId, dimensions, firstRefusal: firstRefusalOf(dimensions), checkedAt: now };
      });
      state.explanations.recordWaiting(demand.id, count - i, checks, examined, now);
      ports.logger.info({ app: demand.id, waiting: count - i, refused: examined.refused }, "no agent fits; instances wait");
      return;
    }
    examined.placed++;
    const instance = newInstance(ctx, known, placement, now);
    state.ledgerOf(instance.agentId).hold(instance.instanceId, instance.allocation);
    state.constraints.get(demand.id)?.add(instance.instanceId, placement.agent);
    tentative.push({ instance, known, placement });
    batches.push(placedEvent(ctx, instance));
    commands.add(instance.agentId, launchInstanceCommand(known.spec, instance));
  }
  state.explanations.placed(demand.id);
}

function placementContext(ctx: SchedulerContext, demand: RunSpecDemand, policy: PlacementPolicy): PlacementContext {
  const { state } = ctx;
  const constraints = state.constraints.get(demand.id);
  return {
    demand,
    ledgerOf: (agentId) => state.ledgerOf(agentId),
    classConstraints: (agent) => constraints?.classVerdict(agent) ?? { ok: true },
    countedConstraints: (agent) => constraints?.countedVerdict(agent) ?? { ok: true },
    reserveGpuAgents: policy.reserveGpuAgents,
  };
}

/** A new instance on the placement's agent, with Marathon's ids: `<app_path>.instance-<uuid>`, tasks `<app_path>.<uuid>` (apps) or `<instance>.<container>` (pods). */
function newInstance(ctx: SchedulerContext, known: KnownRunSpec, placement: Placement, now: number): Instance {
  const { demand } = known;
  const uuid = ctx.ports.newId();
  const prefix = demand.id.replace(/^\//, "").replaceAll("/", "_");
  const instanceId = `${prefix}.instance-${uuid}`;
  const taskIds = demand.pod ? demand.containers.map((c) => `${instanceId}.${c}`) : [`${prefix}.${uuid}`];
  return {
    instanceId,
    taskId: taskIds[0]!,
    appId: demand.id,
    appVersion: demand.configVersion,
    agentId: placement.agent.agentId,
    host: placement.agent.hostname,
    pod: demand.pod,
    tasks: taskIds.map((taskId, i) => ({ taskId, container: demand.containers[i] ?? "", state: "TASK_STAGING" })),
    state: "TASK_STAGING",
    message: "",
    exitCode: -1,
    resources: demand.resources,
    allocation: placement.allocation,
    ports: demand.ports.map((p, i) => ({ container: p.container, endpoint: p.endpoint, endpointIndex: p.index, hostPort: placement.allocation.ports[i]!, containerPort: p.containerPort })),
    gpus: placement.gpus,
    placedAt: now,
    updatedAt: now,
    killRequested: false,
    gates: { healthCheckedContainers: demand.healthCheckedContainers ?? [], readinessChecked: demand.readinessChecked ?? false },
  };
}

function placedEvent(ctx: SchedulerContext, inst: Instance): StreamBatch {
  return {
    streamId: `instance-${inst.instanceId}`,
    expectedVersion: 0,
    events: [
      {
        schema: eventsV1Instance.InstancePlacedSchema,
        message: create(eventsV1Instance.InstancePlacedSchema, {
          instanceId: inst.instanceId,
          taskId: inst.taskId,
          appId: inst.appId,
          appVersion: inst.appVersion,
          agentId: inst.agentId,
          host: inst.host,
          resources: inst.resources,
          allocation: inst.allocation.byRole.map((s) => ({ role: s.role, resources: s.resources })),
          ports: inst.ports.map((p) => ({ container: p.container, endpoint: p.endpoint, endpointIndex: p.endpointIndex, hostPort: p.hostPort, containerPort: p.containerPort })),
          gpus: inst.gpus.map((g) => ({ index: g.index, uuid: g.uuid, model: g.model })),
          taskIds: inst.tasks.map((t) => t.taskId),
          pod: inst.pod,
          healthCheckedContainers: [...(inst.gates?.healthCheckedContainers ?? [])],
          readinessChecked: inst.gates?.readinessChecked ?? false,
        }),
        ...ctx.originOf(inst.appId),
      },
    ],
  };
}

/** An unreachable instance given up on: every task TASK_GONE (its agent, should it return, is told to kill them). */
function expunged(ctx: SchedulerContext, inst: Instance, demand: RunSpecDemand | undefined, now: number): StreamBatch {
  const seconds = Math.round((now - inst.updatedAt) / 1000);
  const after = demand?.unreachable ? `expungeAfterSeconds ${demand.unreachable.expungeAfterSeconds}` : demand ? "no unreachableStrategy" : "its app is gone";
  ctx.ports.logger.warn({ instance: inst.instanceId, app: inst.appId, agent: inst.agentId, unreachableSeconds: seconds }, "unreachable instance expunged");
  return everyTaskChange(ctx, inst, { state: "TASK_GONE", message: `expunged: unreachable for ${seconds} s (${after})`, reason: "REASON_AGENT_REMOVED" });
}

const stacks = new Map<string, ReturnType<typeof createPlacementStack>>();
function stackFor(policy: PlacementPolicy) {
  let stack = stacks.get(policy.scoring);
  if (!stack) stacks.set(policy.scoring, (stack = createPlacementStack({ scoring: policy.scoring })));
  return stack;
}
