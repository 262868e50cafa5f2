import type { NatsConnection, Status, Subscription } from "@nats-io/transport-node";
import type { ClusterNames } from "../config/cluster-names.ts";

/**
 * List versions: a backend that answers versioned lists ("unchanged" to a caller holding the
 * current version) announces its current version on core NATS, so that a reader holding an
 * answer knows it is still current without asking (`ListVersionWatch`). Versions are opaque
 * strings unique to one process (a nonce and a count of changes), so several processes can
 * announce on one subject: each announcer is tracked apart, by its id.
 *
 * Announcements are at most once; what keeps a reader honest is that it trusts an announcer only
 * while it hears from it: every announcer repeats its version each `heartbeatMs`, a reader stops
 * trusting one not heard for `trustMs`, and forgets them all when its connection drops. So a
 * reader is behind a change by the announcement's delay (≤ `pollMs` plus a NATS hop), at worst by
 * `heartbeatMs` when an announcement is lost and by `trustMs` when its announcer goes silent.
 * Whoever may publish on the cluster's subjects could announce any version: NATS is trusted, as
 * for every other subject of the cluster.
 */
export const LIST_VERSION_TIMING = Object.freeze({ pollMs: 5, heartbeatMs: 500, trustMs: 1_500 });

/** `<cluster>.list-versions`: every announcement of the cluster. */
export function listVersionsSubject(names: ClusterNames): string {
  return names.subject("list-versions");
}

interface Announcement {
  /** The announcing process's list (random per announcer). */
  id: string;
  version: string;
}

/**
 * Announces one list's version within `pollMs` of a change (the version is compared on a timer:
 * no hook in the code that changes it, and a burst of changes is one announcement), and again
 * each `heartbeatMs` while running. Costs one string comparison per poll.
 */
export class ListVersionAnnouncer {
  private readonly nc: NatsConnection;
  private readonly subject: string;
  private readonly current: () => string;
  private readonly id = crypto.randomUUID();
  private readonly timing: { pollMs: number; heartbeatMs: number };
  private lastAnnounced = "";
  private lastAnnouncedAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(nc: NatsConnection, names: ClusterNames, current: () => string, timing: Partial<{ pollMs: number; heartbeatMs: number }> = {}) {
    this.nc = nc;
    this.subject = listVersionsSubject(names);
    this.current = current;
    this.timing = { pollMs: LIST_VERSION_TIMING.pollMs, heartbeatMs: LIST_VERSION_TIMING.heartbeatMs, ...timing };
  }

  /** Starts announcing (the current version at once). */
  start(): this {
    this.announce(true);
    this.timer = setInterval(() => this.announce(Date.now() - this.lastAnnouncedAt >= this.timing.heartbeatMs), this.timing.pollMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private announce(always: boolean): void {
    const version = this.current();
    if (!always && version === this.lastAnnounced) return;
    if (this.nc.isClosed()) return;
    const announcement: Announcement = { id: this.id, version };
    try {
      this.nc.publish(this.subject, JSON.stringify(announcement));
    } catch {
      // A draining or closing connection refuses publishes: readers stop trusting this announcer
      // once its heartbeats stop, which is what a closing backend wants.
      return;
    }
    this.lastAnnounced = version;
    this.lastAnnouncedAt = Date.now();
  }
}

/**
 * What a reader knows of the announced versions: `isCurrent(v)` is true only while an announcer
 * whose latest version is `v` was heard within `trustMs`, on a connection that has not dropped
 * since. Anything else (never announced, superseded, an announcer gone quiet or restarted, a
 * reconnect) reads as "not known current": ask the backend.
 */
export class ListVersionWatch {
  private readonly announcers = new Map<string, { version: string; heardAt: number }>();
  private readonly byVersion = new Map<string, string>();
  private readonly trustMs: number;
  private readonly now: () => number;
  private subscription: Subscription | undefined;
  private statuses: (AsyncIterable<Status> & { stop?: () => void }) | undefined;

  constructor(options: { trustMs?: number; now?: () => number } = {}) {
    this.trustMs = options.trustMs ?? LIST_VERSION_TIMING.trustMs;
    this.now = options.now ?? Date.now;
  }

  /** Subscribes on `nc` and forgets everything whenever the connection drops. */
  start(nc: NatsConnection, names: ClusterNames): this {
    this.subscription = nc.subscribe(listVersionsSubject(names), {
      callback: (err, msg) => {
        if (err) return this.forget();
        this.heard(msg.string());
      },
    });
    const statuses = (this.statuses = nc.status());
    void (async () => {
      for await (const status of statuses) {
        if (status.type === "disconnect" || status.type === "reconnect" || status.type === "slowConsumer" || status.type === "staleConnection") this.forget();
      }
    })();
    return this;
  }

  /** Records one announcement (its JSON text); malformed ones are ignored. */
  heard(text: string): void {
    let a: Partial<Announcement> | null;
    try {
      a = JSON.parse(text) as Partial<Announcement> | null;
    } catch {
      return;
    }
    if (typeof a !== "object" || a === null || typeof a.id !== "string" || typeof a.version !== "string") return;
    const previous = this.announcers.get(a.id);
    if (previous && previous.version !== a.version) this.byVersion.delete(previous.version);
    this.announcers.set(a.id, { version: a.version, heardAt: this.now() });
    this.byVersion.set(a.version, a.id);
    if (this.announcers.size > 64) this.dropSilent();
    // Bounded whatever is published: beyond 1,024 announcers heard within trustMs, trust none.
    if (this.announcers.size > 1_024) this.forget();
  }

  /** Whether `version` is, as far as announcements tell, the current version of its list. */
  isCurrent(version: string): boolean {
    if (version === "") return false;
    const id = this.byVersion.get(version);
    const announcer = id === undefined ? undefined : this.announcers.get(id);
    return announcer !== undefined && announcer.version === version && this.now() - announcer.heardAt < this.trustMs;
  }

  /** Trust nothing heard so far. */
  forget(): void {
    this.announcers.clear();
    this.byVersion.clear();
  }

  stop(): void {
    this.statuses?.stop?.();
    this.subscription?.unsubscribe();
    this.forget();
  }

  private dropSilent(): void {
    for (const [id, a] of this.announcers) {
      if (this.now() - a.heardAt >= this.trustMs) {
        this.announcers.delete(id);
        this.byVersion.delete(a.version);
      }
    }
  }
}
