/**
 * One sampled value as the agent's collectors produce it, before it is put in a MetricBatch: its
 * name (dcos-metrics names: `cpus.user.time`, `mem.total`, `load.1min`, …), unit, whether it is a
 * counter, and tags beyond the task's dimensions (a filesystem path, an interface, a GPU index).
 */
export interface MetricPoint {
  name: string;
  value: number;
  unit: string;
  counter?: boolean;
  tags?: Record<string, string>;
}

/** A running task the collector samples: its dimensions and where its usage is read. */
export interface MetricTarget {
  taskId: string;
  instanceId: string;
  /** App id, or pod id for a pod's containers. */
  appId: string;
  containerName: string;
  labels: Record<string, string>;
  /** Its cgroup directories (one per controller on v1, one on v2); empty when not isolated. */
  cgroupDirs: string[];
  /** Its process group (when not isolated: the processes read from /proc). */
  pgid: number;
  /** Its Prometheus endpoint on the node, when its labels ask for a scrape (see metrics-scrape.ts). */
  scrape?: { port: number; path: string };
}
