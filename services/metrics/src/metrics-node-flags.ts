/**
 * Node's own flags for the metrics service process, given before its entry point where it runs
 * as a process of its own (`infra/compose.yaml`, `bench:metrics`):
 *
 * - `--max-semi-space-size=16`: a 16 MB young generation instead of Node's default (up to 32 MB
 *   semi-spaces without pointer compression). With the default, V8 starts a full marking ~70 ms
 *   after every full GC (its soft marking limit is reached while the old generation's headroom is
 *   not larger than what a young generation that size may promote), and those collections, not
 *   the query work, made the p99 of "one task's last hour" 23–25 ms; with 16 MB the service runs
 *   no full GC during 1,000 queries (p99 6–13 ms) and ingests as fast. See README.md.
 *
 * V8 sizes its heap at start: none can be set from inside the process.
 */
export const METRICS_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=16"];
