import type { PointColumns } from "./range-query.ts";

/** Where a range's point columns are decoded: `capacity` points of each column, zeroed or not. */
export type ColumnAllocator = (capacity: number) => PointColumns;

/** New columns for every range (the default: the caller owns them). */
export const freshColumns: ColumnAllocator = (capacity) => ({ timestamps: new Float64Array(capacity), values: new Float64Array(capacity) });

/** Answers whose points together exceed this get fresh columns: an arena keeps no more than 16 MiB. */
const MAX_RETAINED_POINTS = 1 << 20;

/**
 * Reusable memory for the point columns of one answer at a time: `columns` hands out the next
 * `capacity` points of two shared Float64Arrays, valid until the next `reset`. An answer copies
 * them into its encoding before the next one starts, so a query allocates no column buffers once
 * the arena has grown to its size (off-heap bytes per query are what bring on V8's full
 * collections). Outgrown, it starts over in arrays twice as large (the earlier views keep the
 * old ones); a request beyond `MAX_RETAINED_POINTS` gets fresh columns.
 */
export class ColumnArena {
  private timestamps = new Float64Array(0);
  private values = new Float64Array(0);
  private used = 0;

  /** Gives the whole arena back: every column handed out since the last reset may be overwritten from now on. */
  reset(): void {
    this.used = 0;
  }

  /** `capacity` points of each column, not zeroed (a `ColumnAllocator`). */
  readonly columns: ColumnAllocator = (capacity) => {
    const end = this.used + capacity;
    if (end > MAX_RETAINED_POINTS) return freshColumns(capacity);
    if (end > this.timestamps.length) {
      const size = Math.min(MAX_RETAINED_POINTS, Math.max(2 * this.timestamps.length, capacity, 4096));
      this.timestamps = new Float64Array(size);
      this.values = new Float64Array(size);
      this.used = 0;
    }
    const at = this.used;
    this.used += capacity;
    return { timestamps: this.timestamps.subarray(at, at + capacity), values: this.values.subarray(at, at + capacity) };
  };
}
