import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { logsV1 } from "@gantry/proto";
import { encodeCursor } from "../domain/log-position.ts";
import { encodeLogLines } from "./log-lines.encoding.ts";
import type { StoredLine } from "../domain/log-chunk.ts";

const source = { agentId: "agent-1", hostname: "host-1", appId: "/web", instanceId: "web.i1", taskId: "web.t1", container: "", stream: "stdout", component: "" };
const line = (pos: bigint, text: string, extra: Partial<StoredLine> = {}): StoredLine => ({ ...source, pos, timeMicros: 1_764_500_000_000_000n, level: 0, text, ...extra });

const asProto = (l: StoredLine) => ({ cursor: encodeCursor(l.pos), timeUnixMicros: l.timeMicros, agentId: l.agentId, hostname: l.hostname, appId: l.appId, instanceId: l.instanceId, taskId: l.taskId, container: l.container, stream: l.stream, component: l.component, level: l.level, text: l.text });

// Shared and changing sources and times, defaults (0, ""), multi-byte text, long lines (2-byte lengths), a time past 2^53 µs.
const lines: StoredLine[] = [
  line(1n, "hello"),
  line(2n, "grüße ✓ 日本 ␤ 🚀"),
  line(3n, "", { level: 40 }),
  line(4n, "x".repeat(300), { level: 200, timeMicros: 0n }),
  line(2n ** 40n, "other source", { ...source, agentId: "", hostname: "h", container: "c", component: "scheduler", stream: "" }),
  line(2n ** 40n + 1n, "late", { timeMicros: 9_999_999_999_999_999n }),
  line(2n ** 40n + 2n, "back", { level: 1 }),
];

test("encodeLogLines gives protobuf-es's bytes for a QueryLogsResponse and a FollowLogsResponse", () => {
  const query = logsV1.QueryLogsResponseSchema;
  for (const next of ["", encodeCursor(2n ** 40n + 2n)]) {
    const ours = encodeLogLines<typeof query>(lines, next).bytes;
    assert.deepEqual(Buffer.from(ours), Buffer.from(toBinary(query, create(query, { lines: lines.map(asProto), nextCursor: next }))));
    assert.deepEqual(fromBinary(query, ours).lines.map((l) => l.text), lines.map((l) => l.text));
  }
  const follow = logsV1.FollowLogsResponseSchema;
  assert.deepEqual(Buffer.from(encodeLogLines<typeof follow>(lines).bytes), Buffer.from(toBinary(follow, create(follow, { lines: lines.map(asProto) }))));
  assert.equal(encodeLogLines([]).bytes.length, 0);
});
