import type { ConstraintRule } from "../../run-spec-demand.ts";
import { fieldValue, type ConstraintAgent } from "./attribute-value.ts";

/**
 * How a run spec's placed instances spread over the values of one field, as the counted
 * operators need it. Marathon groups placed instances by `Option[value]`, so instances on agents
 * that lack the field form one more group (the "missing" group): it counts in `groups()` and
 * `smallestGroup()` (and `total()`), never in `count(value)`.
 *
 * Every method is O(1) (`smallestGroup()` amortised, see `ConstraintCounters`).
 */
export interface FieldCounts {
  /** Placed instances whose agent's field renders to `value` (0 when none). */
  count(value: string): number;
  /** Groups with at least one instance, the missing group included. */
  groups(): number;
  /** The size of the smallest non-empty group; 0 when nothing is placed. */
  smallestGroup(): number;
  /** Placed instances, all groups together. */
  total(): number;
}

/** What `checkConstraint` asks of the placed instances: counts per field. `ConstraintCounters` implements it. */
export interface PlacedCounts {
  /**
   * The counts for `field` ("hostname" or an attribute name). Throws when the field is not
   * tracked (a caller bug: build the counters with `ConstraintCounters.forConstraints`).
   */
  forField(field: string): FieldCounts;
}

/** A placement pass in progress on a `ConstraintCounters`: keep its changes or undo them. */
export interface CountersPass {
  /** Whether commit() or rollback() is still to come. */
  readonly open: boolean;
  /** Keeps every add/remove made since `beginPass()`. Throws if the pass is closed. */
  commit(): void;
  /** Undoes every add/remove made since `beginPass()`, newest first. Throws if the pass is closed. */
  rollback(): void;
}

/** The key of the missing group (a symbol, so no attribute value can collide with it). */
const MISSING: unique symbol = Symbol("missing");
type GroupKey = string | typeof MISSING;

/** Counts for one field, with a count-of-counts so the smallest group is known without a scan. */
class FieldCounter implements FieldCounts {
  readonly #byValue = new Map<GroupKey, number>();
  /** Group size → how many groups have exactly that size (sizes > 0 only). */
  readonly #bySize = new Map<number, number>();
  /** The smallest group size, or -1 when it must be recomputed (from #bySize, not from the groups). */
  #min = 0;
  #total = 0;

  count(value: string): number {
    return this.#byValue.get(value) ?? 0;
  }

  groups(): number {
    return this.#byValue.size;
  }

  smallestGroup(): number {
    if (this.#min < 0) {
      let min = Infinity;
      for (const size of this.#bySize.keys()) if (size < min) min = size;
      this.#min = min === Infinity ? 0 : min;
    }
    return this.#min;
  }

  total(): number {
    return this.#total;
  }

  add(key: GroupKey): void {
    const c = this.#byValue.get(key) ?? 0;
    this.#byValue.set(key, c + 1);
    this.#moveSize(c, c + 1);
    this.#total++;
    if (c === 0) this.#min = 1;
    else if (this.#min === c && !this.#bySize.has(c)) this.#min = c + 1;
  }

  remove(key: GroupKey): void {
    const c = this.#byValue.get(key);
    if (c === undefined) throw new Error("FieldCounter.remove: group is empty (counters out of step)");
    if (c === 1) this.#byValue.delete(key);
    else this.#byValue.set(key, c - 1);
    this.#moveSize(c, c - 1);
    this.#total--;
    if (c - 1 > 0) {
      if (this.#min >= 0 && c - 1 < this.#min) this.#min = c - 1;
    } else if (this.#min === c && !this.#bySize.has(c)) {
      // The last smallest group vanished: the next smallest is some other size; find it when asked.
      this.#min = this.#byValue.size === 0 ? 0 : -1;
    }
  }

  #moveSize(from: number, to: number): void {
    if (from > 0) {
      const n = this.#bySize.get(from)!;
      if (n === 1) this.#bySize.delete(from);
      else this.#bySize.set(from, n - 1);
    }
    if (to > 0) this.#bySize.set(to, (this.#bySize.get(to) ?? 0) + 1);
  }
}

type JournalEntry = { op: "add"; id: string } | { op: "remove"; id: string; keys: readonly GroupKey[] };

/**
 * Where one run spec's placed instances are, per constrained field: a count per field value,
 * kept up to date one instance at a time, so that a constraint check costs O(1) per constraint
 * instead of a scan of the instances.
 *
 * What to add is the caller's decision, and it decides correctness: add exactly the instances
 * Marathon counts as "placed", i.e. every instance of the run spec whatever its condition
 * (reserved and unreachable included) whose configuration is the CURRENT one (Marathon 1.4.12:
 * `runSpecVersion >= lastConfigChangeAt`). Instances of an older configuration are left out, so
 * their replacements may land beside them. When the configuration changes, build new counters.
 *
 * The agent's values are read when the instance is added and remembered, so `remove` needs only
 * the id (the agent may have changed or gone since).
 *
 * A placement pass adds its own placements as it goes (`beginPass`, then `add` per placement):
 * later checks in the same pass see them. If the pass is abandoned, `rollback` undoes exactly
 * its changes; `commit` keeps them. One pass at a time.
 *
 * Costs: `add`/`remove` O(fields); `count`/`groups`/`total` O(1); `smallestGroup` O(1) except
 * after the last group of the smallest size empties, when the next call scans the distinct group
 * sizes once (at most √(2·instances) of them). Memory O(instances × fields).
 */
export class ConstraintCounters implements PlacedCounts {
  readonly #fields: readonly string[];
  readonly #counters: ReadonlyMap<string, FieldCounter>;
  readonly #instances = new Map<string, readonly GroupKey[]>();
  #journal: JournalEntry[] | undefined;

  /** Counters for these fields (duplicates ignored), with nothing placed. */
  constructor(fields: Iterable<string>) {
    this.#fields = [...new Set(fields)];
    this.#counters = new Map(this.#fields.map((f) => [f, new FieldCounter()]));
  }

  /** Counters for the fields of the constraints that count placed instances (UNIQUE, CLUSTER, GROUP_BY, MAX_PER). */
  static forConstraints(constraints: readonly ConstraintRule[]): ConstraintCounters {
    return new ConstraintCounters(constraints.filter((c) => COUNTED.has(c.operator)).map((c) => c.field));
  }

  /** The tracked fields, in first-seen order. */
  get fields(): readonly string[] {
    return this.#fields;
  }

  /** How many instances are counted. */
  get size(): number {
    return this.#instances.size;
  }

  /** Whether the instance is counted. */
  has(instanceId: string): boolean {
    return this.#instances.has(instanceId);
  }

  /** Counts an instance placed on `agent`. Returns false (and changes nothing) if it is already counted. */
  add(instanceId: string, agent: ConstraintAgent): boolean {
    if (this.#instances.has(instanceId)) return false;
    this.#insert(instanceId, this.#fields.map((f) => fieldValue(agent, f) ?? MISSING));
    this.#journal?.push({ op: "add", id: instanceId });
    return true;
  }

  /** Stops counting an instance. Returns false if it was not counted. */
  remove(instanceId: string): boolean {
    const keys = this.#instances.get(instanceId);
    if (keys === undefined) return false;
    this.#delete(instanceId, keys);
    this.#journal?.push({ op: "remove", id: instanceId, keys });
    return true;
  }

  forField(field: string): FieldCounts {
    const counter = this.#counters.get(field);
    if (counter === undefined) throw new Error(`ConstraintCounters: field "${field}" is not tracked (tracked: ${this.#fields.join(", ") || "none"})`);
    return counter;
  }

  /** Starts a pass: adds and removes from now on can be rolled back together. Throws if one is open. */
  beginPass(): CountersPass {
    if (this.#journal !== undefined) throw new Error("ConstraintCounters: a pass is already open");
    const journal: JournalEntry[] = [];
    this.#journal = journal;
    const close = () => {
      if (this.#journal !== journal) throw new Error("ConstraintCounters: this pass is already closed");
      this.#journal = undefined;
    };
    const counters = this;
    return {
      get open() {
        return counters.#journal === journal;
      },
      commit: close,
      rollback: () => {
        close();
        for (let i = journal.length - 1; i >= 0; i--) {
          const e = journal[i]!;
          if (e.op === "add") this.#delete(e.id, this.#instances.get(e.id)!);
          else this.#insert(e.id, e.keys);
        }
      },
    };
  }

  #insert(id: string, keys: readonly GroupKey[]): void {
    this.#instances.set(id, keys);
    keys.forEach((k, i) => this.#counters.get(this.#fields[i]!)!.add(k));
  }

  #delete(id: string, keys: readonly GroupKey[]): void {
    this.#instances.delete(id);
    keys.forEach((k, i) => this.#counters.get(this.#fields[i]!)!.remove(k));
  }
}

const COUNTED: ReadonlySet<string> = new Set(["UNIQUE", "CLUSTER", "GROUP_BY", "MAX_PER"]);

/** Counts with nothing placed, for any field: for constraints that never look at placed instances. */
export const NOTHING_PLACED: PlacedCounts = Object.freeze({
  forField: () => EMPTY_FIELD,
});

const EMPTY_FIELD: FieldCounts = Object.freeze({
  count: () => 0,
  groups: () => 0,
  smallestGroup: () => 0,
  total: () => 0,
});
