/**
 * The JetStream streams of the NATS contract, declared once for every service that publishes
 * to or consumes from them. Names and subjects are suffixes: each cluster prefixes them
 * (`GANTRY_EVENTS`, `gantry.events.>` for the default cluster `gantry`).
 */

/** Every committed event of the log, relayed from PostgreSQL: `<cluster>.events.<streamType>.<eventType>`, msg id = global position. */
export const EVENTS_STREAM = Object.freeze({
  name: "EVENTS",
  subjects: ["events.>"],
  // A relay that crashes between publish and checkpoint re-publishes one batch seconds later.
  duplicateWindowMs: 120_000,
});

/** Agents' task status reports: `<cluster>.agent.status.<agentId>`, msg id = update id; kept a week. */
export const AGENT_STATUS_STREAM = Object.freeze({
  name: "AGENT_STATUS",
  subjects: ["agent.status.>"],
  maxAgeMs: 7 * 24 * 3600 * 1000,
});

/**
 * Messages a consumer could never handle, and those it held back behind them, kept for an
 * operator: `<cluster>.parked.<consumer>`, payload = the original message's, headers name where
 * it came from and why (`ParkedHeaders` in @gantry/platform), msg id = `<stream>:<seq>:<consumer>`
 * so a re-park after a crash is stored once; kept 30 days.
 */
export const PARKED_STREAM = Object.freeze({
  name: "PARKED",
  subjects: ["parked.>"],
  maxAgeMs: 30 * 24 * 3600 * 1000,
});

/**
 * Log lines shipped by agents and services, as `gantry.logs.v1.LogBatch`:
 * `<cluster>.logs.task.<agentId>` (task output) and `<cluster>.logs.component.<component>`
 * (structured service logs), msg id = `<source>:<batch counter>` so a re-publish after a lost
 * ack is stored once; kept 3 days and 8 GiB at most, so a logs service down for hours loses nothing.
 */
export const LOGS_STREAM = Object.freeze({
  name: "LOGS",
  subjects: ["logs.>"],
  duplicateWindowMs: 120_000,
  maxAgeMs: 3 * 24 * 3600 * 1000,
  maxBytes: 8 * 1024 ** 3,
});

/**
 * Metric batches from agents and control-plane services, as `gantry.metrics.v1.MetricBatch`:
 * `<cluster>.metrics.<source>`, msg id = `<source>:<boot>:<batch counter>` so a re-publish after a
 * lost ack is stored once; kept 1 day and 4 GiB at most: the metrics service reads on from the
 * last sequence its persisted blocks hold, so it loses nothing while down for less than that.
 */
export const METRICS_STREAM = Object.freeze({
  name: "METRICS",
  subjects: ["metrics.>"],
  duplicateWindowMs: 120_000,
  maxAgeMs: 24 * 3600 * 1000,
  maxBytes: 4 * 1024 ** 3,
});

/** A NATS subject token for an id (agent id, component): `.`, `*`, `>` and blanks become `_`. */
function subjectToken(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, "_") || "_";
}

/** LOGS subject suffix of a task's output shipped by agent `agentId`. */
export function logsTaskSubject(agentId: string): string {
  return `logs.task.${subjectToken(agentId)}`;
}

/** LOGS subject suffix of component `component`'s own structured logs. */
export function logsComponentSubject(component: string): string {
  return `logs.component.${subjectToken(component)}`;
}
