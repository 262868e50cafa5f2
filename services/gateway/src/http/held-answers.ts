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
 * with the last failures, every app's task counts with the last failures): asked for with the
 * version held, an "unchanged" answer ships nothing and the held one is used. An app view thus
 * costs one registry call and one scheduler call.
 *
 * Every call is still made, with the caller's credentials: only payloads are reused, so a
 * read is as current and as authorised as a fresh one.
 */
export class HeldAnswers {
  private readonly backends: Backends;
  private readonly appLists = new BoundedMap<string, HeldList<AppListing>>(64);
  private readonly liveTasks = new HeldList<LiveTasks>();
  private readonly counts = new HeldList<TaskCounts>();

  constructor(backends: Backends) {
    this.backends = backends;
  }

  /** Apps matching `filters` (ordered by id) and the running deployments, the held ones while the registry says unchanged. */
  apps(filters: AppListFilters, call: Call): Promise<AppListing> {
    const key = JSON.stringify([filters.id ?? "", filters.cmd ?? "", filters.label ?? "", filters.group ?? ""]);
    let list = this.appLists.get(key);
    if (!list) this.appLists.set(key, (list = new HeldList()));
    return list.refresh(async (knownVersion) => {
      const a = await this.backends.registry.listApps({ ...filters, knownVersion, withDeployments: true }, call);
      return { version: a.version, unchanged: a.unchanged, items: { apps: a.apps, deployments: a.deployments } };
    });
  }

  /** Every live task and the last failures, the held ones while the scheduler says unchanged. */
  everyLiveTask(call: Call): Promise<LiveTasks> {
    return this.liveTasks.refresh(async (knownVersion) => {
      const a = await this.backends.scheduler.listTasks({ knownVersion, withFailures: true }, call);
      return { version: a.version, unchanged: a.unchanged, items: { tasks: a.tasks, failures: a.failures } };
    });
  }

  /** Every app's task counts and the last failures, the held ones while the scheduler says unchanged. */
  taskCounts(call: Call): Promise<TaskCounts> {
    return this.counts.refresh(async (knownVersion) => {
      const a = await this.backends.scheduler.listTaskCounts({ knownVersion, withFailures: true }, call);
      return { version: a.version, unchanged: a.unchanged, items: { counts: a.counts, failures: a.failures } };
    });
  }
}
