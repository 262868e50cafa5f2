import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { columnBytes, float64Column, metricsV1 } from "@gantry/proto";
import { encodeAggregateAppResponse, encodeRangeResponse, type SeriesColumns } from "./range-response.encoding.ts";

const { RangeResponseSchema, AggregateAppResponseSchema } = metricsV1;

const columns = (n: number, from = 1_700_000_000_000) => ({
  timestamps: Float64Array.from({ length: n }, (_, i) => from + i * 10_000),
  values: Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e6),
});

/** Asserts equal bytes, naming the first difference (a diff of megabytes would take minutes to render). */
function assertSameBytes(ours: Uint8Array, theirs: Uint8Array, label: string): void {
  const a = Buffer.from(ours.buffer, ours.byteOffset, ours.length);
  const b = Buffer.from(theirs.buffer, theirs.byteOffset, theirs.length);
  if (a.equals(b)) return;
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  assert.fail(`${label}: ${a.length} bytes vs protobuf-es's ${b.length}, first difference at byte ${at}`);
}

function info(name: string, tags: Record<string, string>): metricsV1.SeriesInfo {
  return create(metricsV1.SeriesInfoSchema, {
    name,
    unit: "bytes",
    kind: metricsV1.Kind.COUNTER,
    scope: metricsV1.Scope.CONTAINER,
    dimensions: { agentId: "agent-1", taskId: "web.1", appId: "/web", labels: { team: "b" } },
    tags,
  });
}

test("a range answer encoded by hand is protobuf-es's encoding of the same answer, byte for byte, and decodes to it", () => {
  const answers: SeriesColumns[][] = [
    [],
    [{ info: info("mem.rss", {}), columns: columns(0) }],
    [
      { info: info("cpus.user.time", {}), columns: columns(360) },
      { info: info("network.in.bytes", { interface: "eth0", path: "/" }), columns: columns(17) },
      { info: info("mem.total", {}), columns: columns(0) },
      // A series longer than 2 MiB of columns: lengths of four varint bytes.
      { info: create(metricsV1.SeriesInfoSchema, { name: "x" }), columns: columns(300_000) },
    ],
  ];
  for (const series of answers) {
    const message = create(RangeResponseSchema, {
      series: series.map((s) => ({ series: s.info, timestampsMs: columnBytes(s.columns.timestamps), values: columnBytes(s.columns.values) })),
    });
    const ours = encodeRangeResponse(series).bytes;
    assertSameBytes(ours, toBinary(RangeResponseSchema, message), `${series.length} series`);
    const decoded = fromBinary(RangeResponseSchema, ours);
    assert.equal(decoded.series.length, series.length);
    decoded.series.forEach((s, i) => {
      assert.deepEqual(s.series, series[i]!.info);
      assertSameBytes(columnBytes(float64Column(s.timestampsMs)), columnBytes(series[i]!.columns.timestamps), `timestamps of series ${i}`);
      assertSameBytes(columnBytes(float64Column(s.values)), columnBytes(series[i]!.columns.values), `values of series ${i}`);
    });
  }
});

test("the encoding holds a copy of the columns: they may be overwritten once it is made", () => {
  const c = columns(5);
  const encoded = encodeRangeResponse([{ info: info("mem.rss", {}), columns: c }]);
  const before = Buffer.from(encoded.bytes);
  c.values.fill(-1);
  c.timestamps.fill(-1);
  assertSameBytes(encoded.bytes, before, "after the columns were overwritten");
});

test("an app's combined answer encoded by hand is protobuf-es's encoding of the same answer, byte for byte", () => {
  const head = (name: string, tags: Record<string, string>, sources: number) => ({ name, unit: "seconds", scope: metricsV1.Scope.APP, tags, sources });
  const series = [
    { head: head("cpus.user.time", {}, 3), columns: columns(360) },
    { head: head("requests", { route: "/a", code: "200" }, 2), columns: columns(0) },
    { head: head("", {}, 0), columns: columns(1) },
  ];
  for (const [s, taskIds] of [[series, ["web.1", "web.2", "web.3"]], [[], []]] as const) {
    const message = create(AggregateAppResponseSchema, {
      series: s.map((a) => ({ ...a.head, timestampsMs: columnBytes(a.columns.timestamps), values: columnBytes(a.columns.values) })),
      taskIds: [...taskIds],
    });
    const ours = encodeAggregateAppResponse(s, taskIds).bytes;
    assertSameBytes(ours, toBinary(AggregateAppResponseSchema, message), `${s.length} combined series`);
    assert.deepEqual(fromBinary(AggregateAppResponseSchema, ours), fromBinary(AggregateAppResponseSchema, Buffer.from(toBinary(AggregateAppResponseSchema, message))));
  }
});
