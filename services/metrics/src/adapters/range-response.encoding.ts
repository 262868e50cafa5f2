import { toBinary } from "@bufbuild/protobuf";
import { columnBytes, metricsV1 } from "@gantry/proto";
import { encodeFields, type EncodedMessage, type EncodedPart } from "@gantry/platform";
import type { PointColumns } from "../domain/range-query.ts";

const { RangeResponseSchema, SeriesPointsSchema, SeriesInfoSchema, AggregateAppResponseSchema, AggregatedSeriesSchema } = metricsV1;

const NO_BYTES = new Uint8Array(0);

/** One series of a range answer: its identity and its points (columns that may be reused once encoded). */
export interface SeriesColumns {
  info: metricsV1.SeriesInfo;
  columns: PointColumns;
}

/** The two column fields (`timestamps_ms`, `values`) of a message, left out when empty as protobuf-es does. */
function columnFields(columns: PointColumns, timestampsField: number, valuesField: number): EncodedPart[] {
  if (columns.timestamps.length === 0) return [];
  return [
    { number: timestampsField, content: columnBytes(columns.timestamps) },
    { number: valuesField, content: columnBytes(columns.values) },
  ];
}

/**
 * The `RangeResponse` of `series`, encoded into one exactly sized buffer: each series' identity
 * through protobuf-es (small), its columns copied once from `columns`. The same bytes as
 * `toBinary` of the message (tested), so the columns may be reused as soon as this returns.
 */
export function encodeRangeResponse(series: readonly SeriesColumns[]): EncodedMessage<typeof RangeResponseSchema> {
  return encodeFields(
    series.map(({ info, columns }) => ({
      number: RangeResponseSchema.field.series.number,
      content: [
        { number: SeriesPointsSchema.field.series.number, content: toBinary(SeriesInfoSchema, info) },
        ...columnFields(columns, SeriesPointsSchema.field.timestampsMs.number, SeriesPointsSchema.field.values.number),
      ],
    })),
  );
}

/** One combined series of an app's answer: every field but the columns, and its columns. */
export interface AggregatedColumns {
  head: Omit<metricsV1.AggregatedSeries, "$typeName" | "timestampsMs" | "values">;
  columns: PointColumns;
}

/**
 * The `AggregateAppResponse` of `series` and `taskIds`, encoded as `encodeRangeResponse` does:
 * each series' other fields through protobuf-es (the columns are its last fields), then its
 * columns copied once.
 */
export function encodeAggregateAppResponse(series: readonly AggregatedColumns[], taskIds: readonly string[]): EncodedMessage<typeof AggregateAppResponseSchema> {
  return encodeFields([
    ...series.map(({ head, columns }) => ({
      number: AggregateAppResponseSchema.field.series.number,
      content: [
        toBinary(AggregatedSeriesSchema, { $typeName: "gantry.metrics.v1.AggregatedSeries", ...head, timestampsMs: NO_BYTES, values: NO_BYTES }),
        ...columnFields(columns, AggregatedSeriesSchema.field.timestampsMs.number, AggregatedSeriesSchema.field.values.number),
      ],
    })),
    ...taskIds.map((id) => ({ number: AggregateAppResponseSchema.field.taskIds.number, content: Buffer.from(id) })),
  ]);
}
