export { connectBus } from "./bus.ts";
export type { Bus } from "./bus.ts";
export { ensureStream, deleteClusterStreams } from "./streams.ts";
export type { StreamDeclaration } from "./streams.ts";
export { publishDurable, publishCore, requestReply, decodeMessage, messageHeaders, contextFromHeaders } from "./messages.ts";
export type { PublishOptions } from "./messages.ts";
export { runDurableConsumer, subscribeCore, protobufDecoder, jsonDecoder } from "./consumers.ts";
export type { DurableConsumerOptions, CoreSubscriptionOptions } from "./consumers.ts";
