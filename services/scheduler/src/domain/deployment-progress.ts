import type { RunSpecDemand } from "./run-spec-demand.ts";
import { servesHealthy, type Instance } from "./instance.ts";
import { isTerminal } from "./task-state.ts";

/** The apps and pods one step of a plan acts on. */
export interface StepScope {
  affectedApps: string[];
  affectedPods: string[];
  /** Apps and pods the step starts, scales or restarts (any action but a stop): they must exist when it ends. */
  appsToRun: string[];
}

/** A deployment the registry planned and the scheduler is carrying out. */
export interface ActiveDeployment extends StepScope {
  id: string;
  /** The plan's steps in order: a step starts once the one before it is done (dependency order). */
  steps: StepScope[];
  /** 1-based: the last step started (0: none yet; the first one is under way from the start). */
  currentStep: number;
  /** Instances its scale downs kill before any other (a kill with scale); absent in older snapshots. */
  instancesToKill?: string[];
}

/** Where a deployment stands: still running, done, or impossible (with why). */
export type DeploymentOutcome = { state: "running" } | { state: "succeeded" } | { state: "failed"; reason: string };

/**
 * Decides whether a deployment reached its target. An affected app that still exists is done
 * when exactly `instances` live instances run its current version and no instance of another
 * version is live; a deleted app is done when none of its instances is live. An instance of an
 * app with health checks runs only once the tasks of its checked containers are healthy
 * (Marathon's health gate: an app that never gets healthy holds its deployment forever). An app
 * the plan runs that is not known (yet) is never read as deleted: the deployment goes on
 * waiting. Pods are judged as apps are (an instance is a unit either way). Readiness checks do
 * not gate yet.
 */
export function deploymentOutcome(
  deployment: StepScope,
  apps: Pick<ReadonlyMap<string, Pick<RunSpecDemand, "configVersion" | "instances" | "healthCheckedContainers">>, "get">,
  instances: Iterable<Instance>,
): DeploymentOutcome {
  const runSpecs = [...deployment.affectedApps, ...deployment.affectedPods];
  const affected = new Set(runSpecs);
  const live = new Map<string, Instance[]>();
  for (const inst of instances) {
    // An unreachable instance neither completes nor holds a deployment: it is replaced (or comes back).
    if (isTerminal(inst.state) || inst.state === "TASK_UNREACHABLE" || !affected.has(inst.appId)) continue;
    let list = live.get(inst.appId);
    if (!list) live.set(inst.appId, (list = []));
    list.push(inst);
  }
  for (const appId of runSpecs) {
    const app = apps.get(appId);
    const mine = live.get(appId) ?? [];
    if (!app) {
      if (mine.length > 0 || deployment.appsToRun.includes(appId)) return { state: "running" };
      continue;
    }
    const current = mine.filter((i) => i.appVersion === app.configVersion && !i.killRequested);
    if (mine.length !== current.length) return { state: "running" };
    if (current.length !== app.instances || current.some((i) => !servesHealthy(i, app.healthCheckedContainers ?? []))) return { state: "running" };
  }
  return { state: "succeeded" };
}

type Apps = Parameters<typeof deploymentOutcome>[1];

/**
 * The run specs a later step of a running deployment acts on (a step after the one under way):
 * they are left as they are until their step starts, so that an app starts only once the apps
 * it depends on run (Marathon's plan order).
 */
export function heldRunSpecs(deployments: Iterable<ActiveDeployment>): Set<string> {
  const held = new Set<string>();
  for (const d of deployments) {
    const started = Math.max(1, d.currentStep);
    const underWay = new Set(d.steps.slice(0, started).flatMap((s) => [...s.affectedApps, ...s.affectedPods]));
    for (const step of d.steps.slice(started)) {
      for (const id of [...step.affectedApps, ...step.affectedPods]) if (!underWay.has(id)) held.add(id);
    }
  }
  return held;
}

/**
 * The step a deployment is at now: its first step (1-based) not yet done, from the one under way
 * on; a finished plan is at its last step. A step is done as a whole deployment is (see
 * `deploymentOutcome`), over its own apps and pods.
 */
export function stepUnderWay(deployment: ActiveDeployment, apps: Apps, instancesOf: (scope: StepScope) => Iterable<Instance>): number {
  let step = Math.max(1, deployment.currentStep);
  while (step < deployment.steps.length) {
    const scope = deployment.steps[step - 1]!;
    if (deploymentOutcome(scope, apps, instancesOf(scope)).state !== "succeeded") break;
    step++;
  }
  return Math.min(step, deployment.steps.length);
}
