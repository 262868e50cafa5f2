/** The principal directory shared over NATS KV: written by the registry, followed by every service. */
export { directoryBucket, directoryEntries, followDirectory, publishDirectory } from "./directory-kv.ts";
export type { FollowedDirectory, LogPoint } from "./directory-kv.ts";
export { recordDenials } from "./denial-recorder.ts";
