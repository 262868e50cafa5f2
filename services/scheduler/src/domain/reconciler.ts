import { servesHealthy, type Instance } from "./instance.ts";
import type { ConstraintAgent } from "./placement/constraints/attribute-value.ts";
import { chooseInstancesToKill } from "./placement/constraints/kill-selection.ts";
import type { RunSpecDemand, UnreachableStrategy, UpgradeStrategy } from "./run-spec-demand.ts";

/** What to do for one run spec: how many instances to launch, which live ones to kill (with why) or expunge. */
export interface RunSpecPlan {
  launch: number;
  kills: { instance: Instance; reason: string }[];
  /** Unreachable instances given up on (past `expungeAfterSeconds`): recorded gone, not killed. */
  expunge: Instance[];
  /** Instances of another configuration are still live: a rolling upgrade is under way. */
  rolling: boolean;
  /** Some instance waits on its unreachable agent with a deadline: look again as time passes. */
  unreachable: boolean;
}

/** What a pass knows besides the run spec and its instances. */
export interface ReconcileOptions {
  /** False while the run spec backs off after failures: nothing is launched (default true). */
  launchAllowed?: boolean;
  /** Instances a scale down kills before any other (a kill with scale). */
  killFirst?: ReadonlySet<string>;
  /** Milliseconds since the epoch: how long unreachable instances have been so. */
  now?: number;
  /** The agent an instance runs on (hostname, attributes): a scale down keeps GROUP_BY constraints balanced. */
  agentOf?: (agentId: string) => ConstraintAgent | undefined;
}

/** Without an unreachableStrategy, an unreachable instance is replaced and expunged at once. */
const AT_ONCE: UnreachableStrategy = { disabled: false, inactiveAfterSeconds: 0, expungeAfterSeconds: 0 };

/** The bounds of a rolling upgrade to `instances`, as Marathon computes them. */
export interface UpgradeBounds {
  /** Instances that must stay healthy: ceil(instances × minimumHealthCapacity). */
  minHealthy: number;
  /** Instances that may be live at once (old, new and stopping): floor(instances × (1 + maximumOverCapacity)). */
  maxCapacity: number;
}

const NONE: ReadonlySet<string> = new Set();

/** Rounding slack, so that 10 × 0.3 is 3 and not 3.0000000000000004 (ceil 4). */
const EPSILON = 1e-9;

/**
 * Marathon's bounds (`TaskReplaceActor`): when they coincide (for example minimumHealthCapacity 1
 * and maximumOverCapacity 0) no instance could ever be replaced, so one more may be live.
 */
export function upgradeBounds(instances: number, strategy: UpgradeStrategy): UpgradeBounds {
  const minHealthy = Math.max(0, Math.ceil(instances * strategy.minimumHealthCapacity - EPSILON));
  let maxCapacity = Math.floor(instances * (1 + strategy.maximumOverCapacity) + EPSILON);
  if (maxCapacity <= minHealthy) maxCapacity = minHealthy + 1;
  return { minHealthy, maxCapacity };
}

/**
 * Compares one run spec with its live instances (Nomad's reconciler, per job): instances of a
 * deleted run spec are killed; extra instances are killed as Marathon scales down (see
 * `surplusToKill`: named ones first, then those not running, in the run spec's kill selection
 * order, keeping GROUP_BY constraints balanced); missing ones are launched unless the run
 * spec backs off after failures (`launchAllowed`). Instances already being killed are never
 * killed again, and count against the upgrade's capacity until they end.
 *
 * Instances of another configuration are replaced by a rolling upgrade within the run spec's
 * `upgradeStrategy` (see `upgradeBounds`): an old instance that runs is killed only while the
 * capacity (new instances that serve: running, healthy where health-checked, ready where
 * readiness-checked; and old ones that run) stays at least `minHealthy` without it (an old one
 * that does not run may always go, first); new ones are launched while
 * every live instance stays within `maxCapacity`. Each pass decides from what is live now, so a
 * new leader resumes an upgrade where the log left it.
 *
 * An instance whose agent stopped answering (TASK_UNREACHABLE) counts as it did until it has
 * been so for the run spec's `unreachableStrategy.inactiveAfterSeconds`; then it is replaced, and
 * after `expungeAfterSeconds` it is expunged (never with the strategy disabled). Should its agent
 * return with it running, it counts again and the surplus goes in kill selection order.
 * O(the run spec's instances).
 */
export function reconcileRunSpec(demand: RunSpecDemand | undefined, live: Iterable<Instance>, options: ReconcileOptions = {}): RunSpecPlan {
  const { launchAllowed = true, killFirst = NONE, now = 0 } = options;
  const plan: RunSpecPlan = { launch: 0, kills: [], expunge: [], rolling: false, unreachable: false };
  const current: Instance[] = [];
  const old: Instance[] = [];
  let stopping = 0;
  let oldStopping = 0;
  const strategy = demand?.unreachable ?? AT_ONCE;
  for (const inst of live) {
    if (inst.state === "TASK_UNREACHABLE" && !strategy.disabled) {
      const away = now - inst.updatedAt;
      if (away >= strategy.expungeAfterSeconds * 1000) {
        plan.expunge.push(inst);
        continue;
      }
      plan.unreachable = true;
      // Inactive: replaced, while it is waited for until it is expunged (or its agent returns).
      if (away >= strategy.inactiveAfterSeconds * 1000) continue;
    }
    if (inst.killRequested) {
      stopping++;
      if (demand && inst.appVersion !== demand.configVersion) oldStopping++;
    } else if (!demand) plan.kills.push({ instance: inst, reason: "app deleted" });
    else if (inst.appVersion !== demand.configVersion) old.push(inst);
    else current.push(inst);
  }
  if (!demand) return plan;
  const surplus = current.length - demand.instances;
  if (surplus > 0) {
    for (const inst of surplusToKill(current, surplus, demand, killFirst, options.agentOf)) plan.kills.push({ instance: inst, reason: `scaled down to ${demand.instances}` });
  }
  // Old instances still stopping keep the upgrade's bounds on until they end.
  if (old.length === 0 && oldStopping === 0) {
    if (surplus < 0 && launchAllowed) plan.launch = -surplus;
    return plan;
  }
  plan.rolling = true;
  const healthChecked = demand.healthCheckedContainers ?? [];
  const { minHealthy, maxCapacity } = upgradeBounds(demand.instances, demand.upgrade);
  const scaledDown = new Set(plan.kills.map((k) => k.instance));
  const kept = current.filter((i) => !scaledDown.has(i));
  // The capacity the bound keeps: new instances that serve, and old ones that run (healthy or
  // not: as in Marathon, a flapping health check never gets an old instance killed early).
  const running = (i: Instance) => i.state === "TASK_RUNNING";
  let capacity = kept.filter((i) => servesHealthy(i, healthChecked)).length + old.filter(running).length;
  // Old instances that do not run first, then unhealthy ones, then in kill selection order.
  const rank = (i: Instance) => (running(i) ? 1 : 0) + (servesHealthy(i, healthChecked) ? 1 : 0);
  const oldInOrder = inKillOrder(old, demand.killSelection).sort((a, b) => rank(a) - rank(b));
  let oldLeft = old.length;
  for (const inst of oldInOrder) {
    if (running(inst) && capacity - 1 < minHealthy) break;
    if (running(inst)) capacity--;
    plan.kills.push({ instance: inst, reason: `replaced by version ${demand.version}` });
    oldLeft--;
  }
  if (launchAllowed) {
    const liveCount = stopping + plan.kills.length + oldLeft + kept.length;
    plan.launch = Math.max(0, Math.min(demand.instances - kept.length, maxCapacity - liveCount));
  }
  return plan;
}

/**
 * Which `count` of the current instances a scale down kills, as Marathon's `ScalingProposition`
 * does: those named (`killFirst`) first; then instances that do not run before running ones,
 * each in kill selection order; among those, the choice that keeps every GROUP_BY constraint's
 * distribution even (`chooseInstancesToKill`) when the agents are known.
 */
function surplusToKill(current: readonly Instance[], count: number, demand: RunSpecDemand, killFirst: ReadonlySet<string>, agentOf: ReconcileOptions["agentOf"]): Instance[] {
  const named = current.filter((i) => killFirst.has(i.instanceId)).slice(0, count);
  const rest = inKillOrder(current.filter((i) => !killFirst.has(i.instanceId)), demand.killSelection).sort((a, b) => Number(a.state === "TASK_RUNNING") - Number(b.state === "TASK_RUNNING"));
  const left = count - named.length;
  if (left <= 0) return named;
  if (!agentOf || !demand.constraints.some((c) => c.operator === "GROUP_BY")) return [...named, ...rest.slice(0, left)];
  const candidates = rest.map((instance) => ({ instance, agent: agentOf(instance.agentId) ?? { hostname: instance.host, attributes: {} } }));
  return [...named, ...chooseInstancesToKill(candidates, demand.constraints, left).map((c) => c.instance)];
}

/** Instances in the order a kill selection takes them (ties by instance id, for a stable order). */
function inKillOrder(instances: readonly Instance[], killSelection: RunSpecDemand["killSelection"]): Instance[] {
  const newestFirst = killSelection === "YOUNGEST_FIRST";
  return [...instances].sort((a, b) => (newestFirst ? b.placedAt - a.placedAt : a.placedAt - b.placedAt) || (a.instanceId < b.instanceId ? (newestFirst ? 1 : -1) : newestFirst ? -1 : 1));
}
