import type { FastifyRequest } from "fastify";
import { isAllowed, onApps, type ListVersionWatch } from "@gantry/platform";
import type { registryV1App, schedulerV1, schedulerV1Model } from "@gantry/proto";
import type { Backends } from "../backends.ts";
import { BoundedMap } from "./bounded-map.ts";
import { callerMetadata } from "./caller.ts";

/**
 * Who asks: the credentials a call forwards, and whether the caller may read every app (such
 * callers share the backends' versioned lists; others get what they may read, fresh each time).
 */
export interface Asker {
  call: ReturnType<typeof callerMetadata>;
  readsAll: boolean;
}

/** The asker behind an HTTP request. */
export function askerOf(request: FastifyRequest): Asker {
  return { call: callerMetadata(request), readsAll: request.principal !== undefined && isAllowed(request.principal, onApps("read", "/")) };
}

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

/** When a held answer may be used without asking: the caller shares lists, and the version is known current. */
interface Trust {
  asker: Asker;
  /** The gateway's count of writes when this ask starts (see `HeldAnswers.invalidate`). */
  epoch: number;
  isCurrent: (version: string) => boolean;
}

/** The last answer to one versioned question, the version it came with and the write count it was asked at. */
class HeldList<T> {
  private held: { version: string; items: T; epoch: number } | undefined;

  /**
   * The held items without asking when `trust` allows it (asked since this gateway's last write,
   * at a version announced current); otherwise asks with the held version, and an unchanged
   * answer gives the held items (the same object).
   */
  async refresh(ask: (knownVersion: string) => Promise<VersionedAnswer<T>>, trust: Trust): Promise<T> {
    // A caller who may read only part never gets a held list, asked for by anyone: its own part, fresh.
    if (!trust.asker.readsAll) return (await ask("")).items;
    const held = this.held;
    if (held && held.epoch === trust.epoch && trust.isCurrent(held.version)) return held.items;
    const answer = await ask(held?.version ?? "");
    if (answer.unchanged && held) {
      // Confirmed current as of this ask (an answer asked before a later write never is).
      if (this.held === held && trust.epoch > held.epoch) held.epoch = trust.epoch;
      return held.items;
    }
    // Kept unless an ask made after a later write already holds one (answers may arrive out of order).
    if (answer.version && (!this.held || trust.epoch >= this.held.epoch)) this.held = { version: answer.version, items: answer.items, epoch: trust.epoch };
    return answer.items;
  }
}

/** Apps and the running deployments (the registry answers them together, under one version). */
export interface AppListing {
  apps: registryV1App.AppVersion[];
  deployments: registryV1App.Deployment[];
}

/** Every live task and each app's last task failure (the scheduler answers them together, under one version). */
export interface LiveTasks {
  tasks: schedulerV1Model.Task[];
  failures: schedulerV1.TaskFailure[];
}

/** Every app's task counts and its last task failure (one answer, one version). */
export interface TaskCounts {
  counts: schedulerV1.AppTaskCounts[];
  failures: schedulerV1.TaskFailure[];
}

/**
 * The backends' last answers the gateway keeps, so that views built from them are reused while
 * nothing changed (the same answer is the same object; see `RenderedBodies`). Each is a list the
 * backends version (the apps for a set of filters with the running deployments, every live task
 * with the last failures, every app's task counts with the last failures).
 *
 * A caller who may read every app is answered from a held list without asking while the backend's
 * announced version (`ListVersionWatch`: core NATS, repeated each 500 ms, forgotten on a
 * reconnect or after 1.5 s of silence) is the held one and no write went through this gateway
 * since it was asked for (`invalidate`): a change made elsewhere shows within the announcement's
 * delay (≤ 5 ms plus a NATS hop), one made through this gateway at once. Otherwise the backend is
 * asked with the version held, and an "unchanged" answer ships nothing. Callers who may read only
 * part get their part from the backend each time (what they may read is the backend's rule).
 */
export class HeldAnswers {
  private readonly backends: Backends;
  private readonly versions: ListVersionWatch | undefined;
  private readonly appLists = new BoundedMap<string, HeldList<AppListing>>(64);
  private readonly liveTasks = new HeldList<LiveTasks>();
  private readonly counts = new HeldList<TaskCounts>();
  private writes = 0;

  constructor(backends: Backends, versions?: ListVersionWatch) {
    this.backends = backends;
    this.versions = versions;
  }

  /** A write went (or may have gone) through this gateway: every held answer is asked for again before it is used. */
  invalidate(): void {
    this.writes++;
  }

  /** Apps matching `filters` (ordered by id) and the running deployments. */
  apps(filters: AppListFilters, asker: Asker): Promise<AppListing> {
    const key = JSON.stringify([filters.id ?? "", filters.cmd ?? "", filters.label ?? "", filters.group ?? ""]);
    let list = this.appLists.get(key);
    // Only lists that can be held take a place (partial callers' lists would push shared ones out).
    if (!list) {
      list = new HeldList();
      if (asker.readsAll) this.appLists.set(key, list);
    }
    return list.refresh(async (knownVersion) => {
      const a = await this.backends.registry.listApps({ ...filters, knownVersion, withDeployments: true }, asker.call);
      return { version: a.version, unchanged: a.unchanged, items: { apps: a.apps, deployments: a.deployments } };
    }, this.trust(asker));
  }

  /** Every live task and the last failures. */
  everyLiveTask(asker: Asker): Promise<LiveTasks> {
    return this.liveTasks.refresh(async (knownVersion) => {
      const a = await this.backends.scheduler.listTasks({ knownVersion, withFailures: true }, asker.call);
      return { version: a.version, unchanged: a.unchanged, items: { tasks: a.tasks, failures: a.failures } };
    }, this.trust(asker));
  }

  /** Every app's task counts and the last failures. */
  taskCounts(asker: Asker): Promise<TaskCounts> {
    return this.counts.refresh(async (knownVersion) => {
      const a = await this.backends.scheduler.listTaskCounts({ knownVersion, withFailures: true }, asker.call);
      return { version: a.version, unchanged: a.unchanged, items: { counts: a.counts, failures: a.failures } };
    }, this.trust(asker));
  }

  private trust(asker: Asker): Trust {
    const versions = this.versions;
    return { asker, epoch: this.writes, isCurrent: versions ? (v) => versions.isCurrent(v) : () => false };
  }
}
