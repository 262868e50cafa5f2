/**
 * @gantry/platform: the shared foundation of every Gantry service. Each area has its own
 * folder with an index.ts; this file re-exports their public names.
 */
export { GantryError, invalidObject, hasCode } from "./errors/index.ts";
export type { ErrorCode, FieldViolation } from "./errors/index.ts";
export { createLogger } from "./logging/index.ts";
export type { Logger } from "./logging/index.ts";
export { clusterNames, infrastructureUrls } from "./config/index.ts";
export type { ClusterNames, InfrastructureUrls } from "./config/index.ts";
export {
  connectBus,
  ensureStream,
  deleteClusterStreams,
  publishDurable,
  publishCore,
  requestReply,
  decodeMessage,
  messageHeaders,
  contextFromHeaders,
  runDurableConsumer,
  subscribeCore,
  protobufDecoder,
  jsonDecoder,
} from "./bus/index.ts";
export type { Bus, StreamDeclaration, PublishOptions, DurableConsumerOptions, CoreSubscriptionOptions } from "./bus/index.ts";
