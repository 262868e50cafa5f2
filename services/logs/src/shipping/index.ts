/**
 * `@gantry/logs/shipping`: what shippers of log lines use without the logs service: the shipper of
 * a process's own (pino) lines, and the line-block codec task output travels in.
 */
export { NODE_LOG_FIELD, startComponentLogShipping } from "./component-log-shipper.ts";
export type { ComponentLogShipping, ComponentLogShippingOptions } from "./component-log-shipper.ts";
export { linesOfBlock, packBlock, unpackBlock } from "../domain/line-block.ts";
export { MAX_LINES_PER_BATCH } from "../domain/log-position.ts";
