import { metricsV1 } from "@gantry/proto";

/** One datapoint in dcos-metrics v0's MetricsMessage. */
export interface DcosDatapoint {
  name: string;
  value: number;
  unit: string;
  /** RFC 3339 with milliseconds. */
  timestamp: string;
  tags?: Record<string, string>;
}

/** dcos-metrics v0's MetricsMessage: datapoints and where they came from. */
export interface DcosMetricsMessage {
  datapoints: DcosDatapoint[];
  dimensions: Record<string, unknown>;
}

/**
 * The dimensions of a MetricsMessage, named as dcos-metrics does where it has a name
 * (`mesos_id` = the agent id, `container_id` = the task id, `task_id`, `hostname`, `labels`,
 * `cluster_id`) plus Gantry's own (`agent_id`, `app_id`, `instance_id`, `container_name`).
 * Node messages carry only the node's; task messages all of them.
 */
export function dcosDimensions(d: metricsV1.Dimensions | undefined, cluster: string): Record<string, unknown> {
  const out: Record<string, unknown> = { cluster_id: cluster, mesos_id: d?.agentId ?? "", agent_id: d?.agentId ?? "", hostname: d?.hostname ?? "" };
  if (d?.taskId) {
    Object.assign(out, { app_id: d.appId, instance_id: d.instanceId, task_id: d.taskId, container_id: d.taskId, container_name: d.containerName, framework_name: "gantry", labels: { ...d.labels } });
  }
  return out;
}

/** A MetricsMessage of latest samples (all of one source: the dimensions of the first are the message's). */
export function dcosMessage(samples: readonly metricsV1.LatestSample[], cluster: string, dims?: metricsV1.Dimensions): DcosMetricsMessage {
  const datapoints = samples
    .map((s): DcosDatapoint => {
      const p: DcosDatapoint = { name: s.series!.name, value: s.value, unit: s.series!.unit, timestamp: new Date(Number(s.timestampMs)).toISOString() };
      const tags = s.series!.tags;
      if (Object.keys(tags).length > 0) p.tags = { ...tags };
      return p;
    })
    .sort((a, b) => a.name.localeCompare(b.name) || JSON.stringify(a.tags ?? {}).localeCompare(JSON.stringify(b.tags ?? {})));
  return { datapoints, dimensions: dcosDimensions(dims ?? samples[0]?.series?.dimensions, cluster) };
}
