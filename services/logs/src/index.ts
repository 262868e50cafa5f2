/** The logs service: ingest of the LOGS stream into its own time-partitioned tables, and LogsService (query, follow). */
export { startLogs } from "./start-logs.ts";
export type { LogsOptions, RunningLogs } from "./start-logs.ts";
export { compileLogsSettings, logsDatabaseUrlOf } from "./logs-options.ts";
export type { LogsSettings } from "./logs-options.ts";
export { dropLogsDatabase } from "./adapters/logs-database.postgres.ts";
