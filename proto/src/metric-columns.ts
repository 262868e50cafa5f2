/**
 * The point columns of `gantry.metrics.v1` range answers (`SeriesPoints`, `AggregatedSeries`):
 * little-endian IEEE 754 float64s carried as `bytes`, 8 bytes a point.
 */

const LITTLE_ENDIAN_HOST = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * The float64s of a column. A view of the same bytes when they are 8-byte aligned on a
 * little-endian host (no copy), else a copy. Throws a RangeError when the length is not a
 * multiple of 8 (not a column).
 */
export function float64Column(bytes: Uint8Array): Float64Array {
  if (bytes.length % 8 !== 0) throw new RangeError(`a float64 column has a multiple of 8 bytes, not ${bytes.length}`);
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
  const out = new Float64Array(bytes.length / 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** The bytes of a column: a view of `values` on a little-endian host (no copy), else a little-endian copy. */
export function columnBytes(values: Float64Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return out;
}
