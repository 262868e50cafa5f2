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
