import type { registryV1App, schedulerV1, schedulerV1Model } from "@gantry/proto";
import type { Backends } from "../backends.ts";
import { BoundedMap } from "./bounded-map.ts";
import type { callerMetadata } from "./caller.ts";

type Call = ReturnType<typeof callerMetadata>;

/** Filters of a list of apps, as the registry takes them. */
export interface AppListFilters {
  id?: string;
  cmd?: string;
  label?: string;
  group?: string;
}

/** A backend's versioned answer: `unchanged` when the version asked with is current. */
interface VersionedAnswer<T> {
  version: string;
  unchanged: boolean;
  items: T;
}

/** The last answer to one versioned question, and the version it came with. */
class HeldList<T> {
  private held: { version: string; items: T } | undefined;

  /** Asks with the held version; an unchanged answer gives the held items (the same object). */
  async refresh(ask: (knownVersion: string) => Promise<VersionedAnswer<T>>): Promise<T> {
    const held = this.held;
    const answer = await ask(held?.version ?? "");
    if (answer.unchanged && held) return held.items;
    if (answer.version) this.held = { version: answer.version, items: answer.items };
    return answer.items;
  }
}

/**
 * The backends' last answers the gateway keeps, so that views built from them are reused while
 * nothing changed (the same answer is the same object; see `RenderedBodies`):
 *
 * - lists the backends version (every app for a set of filters, every live task, every app's
 *   task counts): asked for
 *   with the version held; "unchanged" answers ship nothing and the held list is used;
 * - small answers they do not version (running deployments, task failures, task counts): the
 *   held object is kept when the new answer is equal to it.
 *
 * Every call is still made, with the caller's credentials: only payloads are reused, so a
 * read is as current and as authorised as a fresh one.
 */
export class HeldAnswers {
  private readonly backends: Backends;
  private readonly appLists = new BoundedMap<string, HeldList<registryV1App.AppVersion[]>>(64);
  private readonly liveTasks = new HeldList<schedulerV1Model.Task[]>();
  private readonly counts = new HeldList<schedulerV1.AppTaskCounts[]>();
  private readonly kept = new BoundedMap<string, { json: string; value: unknown }>(2_048);

  constructor(backends: Backends) {
    this.backends = backends;
  }

  /** Apps matching `filters` (ordered by id), the held list while the registry says unchanged. */
  apps(filters: AppListFilters, call: Call): Promise<registryV1App.AppVersion[]> {
    const key = JSON.stringify([filters.id ?? "", filters.cmd ?? "", filters.label ?? "", filters.group ?? ""]);
    let list = this.appLists.get(key);
    if (!list) this.appLists.set(key, (list = new HeldList()));
    return list.refresh(async (knownVersion) => {
      const a = await this.backends.registry.listApps({ ...filters, knownVersion }, call);
      return { version: a.version, unchanged: a.unchanged, items: a.apps };
    });
  }

  /** Every live task, the held list while the scheduler says unchanged. */
  everyLiveTask(call: Call): Promise<schedulerV1Model.Task[]> {
    return this.liveTasks.refresh(async (knownVersion) => {
      const a = await this.backends.scheduler.listTasks({ knownVersion }, call);
      return { version: a.version, unchanged: a.unchanged, items: a.tasks };
    });
  }

  /** Every app's task counts, the held ones while the scheduler says unchanged. */
  taskCounts(call: Call): Promise<schedulerV1.AppTaskCounts[]> {
    return this.counts.refresh(async (knownVersion) => {
      const a = await this.backends.scheduler.listTaskCounts({ knownVersion }, call);
      return { version: a.version, unchanged: a.unchanged, items: a.counts };
    });
  }

  /** `value`, or the object held under `slot` when that one is equal to it (same JSON). */
  keep<T>(slot: string, value: T): T {
    const json = JSON.stringify(value);
    const held = this.kept.get(slot);
    if (held && held.json === json) return held.value as T;
    this.kept.set(slot, { json, value });
    return value;
  }
}
