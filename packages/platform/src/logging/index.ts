export { createLogger } from "./logger.ts";
export type { Logger } from "./logger.ts";
export { attachLogTap } from "./log-tap.ts";
export type { LogTap } from "./log-tap.ts";
