import type { DescMessage, JsonObject, MessageShape } from "@bufbuild/protobuf";
import { float64Column } from "@gantry/proto";
import { messageJson } from "./message-json.ts";

/** An answer whose series carry point columns (`metricsV1.RangeResponse`, `metricsV1.AggregateAppResponse`). */
type WithPointColumns = { series: ReadonlyArray<{ timestampsMs: Uint8Array; values: Uint8Array }> };

/**
 * The `--json` of a metrics range answer: `messageJson`, with each series' point columns as arrays
 * of numbers (epoch milliseconds and values) instead of the base64 of their float64 bytes.
 */
export function pointsJson<D extends DescMessage>(schema: D, message: MessageShape<D> & WithPointColumns): JsonObject {
  const json = messageJson(schema, message);
  const series = (json.series ?? []) as JsonObject[];
  message.series.forEach((s, i) => {
    series[i]!.timestampsMs = Array.from(float64Column(s.timestampsMs));
    series[i]!.values = Array.from(float64Column(s.values));
  });
  return json;
}
