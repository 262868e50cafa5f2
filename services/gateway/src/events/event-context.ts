import type { JsonObject } from "@bufbuild/protobuf";
import type { Backends } from "../backends.ts";
import type { callerMetadata } from "../http/caller.ts";
import { marathonGroup, resolveGroupEmbeds } from "../http/marathon-group-view.ts";
import { NO_RUNTIME } from "../http/marathon-app-view.ts";
import { lightPlan, type EventContext, type LightPlan } from "./marathon-events.ts";

/**
 * The translator's lookups, answered by the backends with the subscriber's own credentials: a
 * task from the scheduler (live or recently ended), a plan from the registry (running or ended,
 * so a replay translates as the live stream did), and the root
 * group before and at a plan's version (Marathon's `original` and `target`, with their apps and
 * pods), each looked up once per plan.
 */
export function backendEventContext(backends: Backends, call: ReturnType<typeof callerMetadata>): EventContext {
  const groups = new Map<string, Promise<{ original: JsonObject; target: JsonObject }>>();
  const rootAt = async (version: string | undefined): Promise<JsonObject> => {
    if (!version) return { id: "/" };
    const { group } = await backends.registry.getGroupVersion({ id: "/", version }, call);
    return marathonGroup(group ?? { id: "/" }, resolveGroupEmbeds(new Set()), NO_RUNTIME);
  };
  return {
    async task(appId, taskId) {
      const { tasks } = await backends.scheduler.listTasks({ appId, includeTerminal: true }, call);
      const t = tasks.find((x) => x.taskId === taskId);
      return t && { appId: t.appId, instanceId: t.instanceId, agentId: t.agentId, host: t.host, ports: t.ports.map((p) => p.hostPort), version: t.appVersion };
    },
    async plan(deploymentId) {
      // Running or ended: a subscriber resuming from an older sequence replays ended deployments too.
      const d = await backends.registry.getDeployment({ id: deploymentId }, call).then((r) => r.deployment, () => undefined);
      return d && lightPlan({ id: d.id, version: d.version, steps: d.steps.map((s) => ({ actions: s.actions.map((a) => ({ action: a.action, app: a.app, pod: a.pod })) })) });
    },
    groups(plan: LightPlan) {
      let known = groups.get(plan.id);
      if (!known) {
        known = (async () => {
          const { versions } = await backends.registry.listGroupVersions({ id: "/" }, call);
          const before = versions.filter((v) => v < plan.version).sort().at(-1);
          const [original, target] = await Promise.all([rootAt(before), rootAt(plan.version)]);
          return { original, target };
        })();
        groups.set(plan.id, known);
      }
      return known;
    },
  };
}
