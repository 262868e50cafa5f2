import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GantryError } from "@gantry/platform";
import { metricsV1 } from "@gantry/proto";
import type { Backends } from "../backends.ts";
import { callerMetadata } from "./caller.ts";
import { dcosMessage } from "./metrics-views.ts";
import { prometheusExposition } from "./metrics-exposition.ts";

/** The dcos-metrics v0 prefixes: the cluster-wide one and the per-agent one. */
export const METRICS_V0_PREFIXES = ["/system/v1/metrics/v0", "/system/v1/agent/:agentId/metrics/v0"] as const;

type Params = { agentId?: string; id?: string; metric?: string };

/**
 * DC/OS' metrics API (dcos-metrics v0) and a Prometheus exposition, from the metrics service:
 *
 * - `GET {prefix}/ping` → `{"ok":true,"timestamp"}`
 * - `GET {prefix}/node` → MetricsMessage of a node (cpu, load, memory, swap, filesystems, network,
 *   processes, uptime; GPUs with tag `gpu_index`): on the per-agent prefix that agent's; on the
 *   cluster prefix the one agent's when there is one, else 409 naming the agents (ask per agent)
 * - `GET {prefix}/containers` → the task ids with metrics (on the agent prefix: that agent's)
 * - `GET {prefix}/containers/{task}` → MetricsMessage of the task's container (cgroup or /proc)
 * - `GET {prefix}/containers/{task}/app` → MetricsMessage of its app metrics (StatsD, scrape); 204 when none
 * - `GET {prefix}/containers/{task}/app/{metric}` → the same with that one metric (404 when absent)
 * - `GET /metrics` → Prometheus text of every series the caller may read
 *
 * 404 for a task the service has no metrics of. Authorisation is the metrics service's (task and
 * app metrics: `gantry:metrics:read` on the app's path; node metrics: `gantry:nodes` read); 503
 * when the gateway has no metrics service.
 */
export function registerMetricsRoutes(app: FastifyInstance, backends: Backends, cluster: string): void {
  const client = () => {
    if (!backends.metrics) throw new GantryError("Unavailable", "no metrics service is configured for this gateway (GANTRY_METRICS_ADDRESS)");
    return backends.metrics;
  };
  const latest = (request: FastifyRequest, selector: Partial<metricsV1.Selector>) => client().latest({ selector: { scopes: [], names: [], agentId: "", taskId: "", appId: "", ...selector } }, callerMetadata(request));
  const taskSamples = async (request: FastifyRequest, scopes: metricsV1.Scope[]) => {
    const { agentId, id } = request.params as Params;
    const all = (await latest(request, { taskId: id!, scopes: [metricsV1.Scope.CONTAINER, metricsV1.Scope.APP] })).samples.filter((s) => !agentId || s.series?.dimensions?.agentId === agentId);
    if (all.length === 0) throw new GantryError("NotFound", `no metrics of container '${id}'${agentId ? ` on agent '${agentId}'` : ""}`);
    return { dims: all[0]!.series!.dimensions, samples: all.filter((s) => scopes.includes(s.series!.scope)) };
  };

  for (const prefix of METRICS_V0_PREFIXES) {
    app.get(`${prefix}/ping`, async () => ({ ok: true, timestamp: new Date().toISOString() }));
    app.get(`${prefix}/node`, async (request) => {
      let { agentId } = request.params as Params;
      const scopes = [metricsV1.Scope.NODE, metricsV1.Scope.GPU];
      if (!agentId) {
        const agents = [...new Set((await latest(request, { scopes: [metricsV1.Scope.NODE], names: ["system.uptime"] })).samples.map((s) => s.series!.dimensions!.agentId))];
        if (agents.length > 1) throw new GantryError("FailedPrecondition", `${agents.length} agents report node metrics: ask one at /system/v1/agent/{agent_id}/metrics/v0/node (agents: ${agents.sort().join(", ")})`);
        agentId = agents[0];
        if (!agentId) throw new GantryError("NotFound", "no node metrics yet");
      }
      const { samples } = await latest(request, { agentId, scopes });
      if (samples.length === 0) throw new GantryError("NotFound", `no node metrics of agent '${agentId}'`);
      return dcosMessage(samples, cluster);
    });
    app.get(`${prefix}/containers`, async (request) => {
      const { agentId } = request.params as Params;
      const { containers } = await client().listContainers({ agentId: agentId ?? "" }, callerMetadata(request));
      return containers.map((c) => c.taskId).sort();
    });
    app.get(`${prefix}/containers/:id`, async (request) => {
      const { dims, samples } = await taskSamples(request, [metricsV1.Scope.CONTAINER]);
      return dcosMessage(samples, cluster, dims);
    });
    app.get(`${prefix}/containers/:id/app`, async (request, reply: FastifyReply) => {
      const { dims, samples } = await taskSamples(request, [metricsV1.Scope.APP]);
      if (samples.length === 0) return reply.code(204).send();
      return dcosMessage(samples, cluster, dims);
    });
    app.get(`${prefix}/containers/:id/app/:metric`, async (request) => {
      const { metric } = request.params as Params;
      const { dims, samples } = await taskSamples(request, [metricsV1.Scope.APP]);
      const matching = samples.filter((s) => s.series!.name === metric);
      if (matching.length === 0) throw new GantryError("NotFound", `container '${(request.params as Params).id}' has no app metric '${metric}'`);
      return dcosMessage(matching, cluster, dims);
    });
  }

  app.get("/metrics", async (request, reply) => {
    const { samples } = await latest(request, {});
    const { contentType, text } = await prometheusExposition(samples);
    return reply.type(contentType).send(text);
  });
}
