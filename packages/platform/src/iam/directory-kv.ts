import { Kvm, KvWatchInclude, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { parseGrant, formatGrant } from "../auth/token-signer.ts";
import type { DirectoryEntry, PrincipalDirectory } from "../auth/principal-directory.ts";
import type { ClusterNames } from "../config/cluster-names.ts";

/**
 * The principal directory shared over a NATS KV bucket (`<CLUSTER>_IAM`), so that every service
 * authenticates against the registry's view of principals without asking it on each call:
 *
 *   p.<name>   {"grants": ["gantry:apps:/team-a full", …], "notBefore": <unix seconds>, "at": "<tx>:<pos>"}
 *   t.<id>     {"revoked": true, "at": …}: a revoked token
 *
 * The registry writes it from the log (`publishDirectory`); services follow it (`followDirectory`).
 */
export function directoryBucket(names: ClusterNames): string {
  return names.stream("IAM");
}

async function openBucket(nc: NatsConnection, names: ClusterNames): Promise<KV> {
  return new Kvm(nc).create(directoryBucket(names), { history: 1, replicas: names.streamReplicas });
}

/** A log position in commit order (transaction id, global position). */
export interface LogPoint {
  transactionId: bigint;
  globalPosition: bigint;
}

/** The directory's content as keys and values, as of log position `at`. */
export function directoryEntries(source: { principals: Iterable<string>; lookup(name: string): DirectoryEntry | undefined; revokedTokens: Iterable<string> }): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of source.principals) {
    const entry = source.lookup(name);
    if (entry) out.set(`p.${name}`, JSON.stringify({ grants: entry.grants.map(formatGrant), notBefore: entry.notBefore }));
  }
  for (const id of source.revokedTokens) out.set(`t.${id}`, JSON.stringify({ revoked: true }));
  return out;
}

const atOf = (p: LogPoint) => `${p.transactionId}:${p.globalPosition}`;

function isBefore(a: string, b: LogPoint): boolean {
  const [tx = "0", pos = "0"] = a.split(":");
  return BigInt(tx) < b.transactionId || (BigInt(tx) === b.transactionId && BigInt(pos) < b.globalPosition);
}

/**
 * Writes the directory's entries that differ from the bucket's. Each value carries the log
 * position it was made at (`at`), and a value is only replaced by one made later (compare and
 * set on the key's revision): registry replicas fold the log at their own pace, and one that is
 * behind never puts back what a newer one replaced (a revoked grant stays revoked). Entries are
 * never deleted (a deleted principal keeps its `notBefore`).
 */
export async function publishDirectory(nc: NatsConnection, names: ClusterNames): Promise<(entries: Map<string, string>, at: LogPoint) => Promise<void>> {
  const kv = await openBucket(nc, names);
  const written = new Map<string, string>();
  return async (entries, at) => {
    for (const [key, value] of entries) {
      if (written.get(key) === value) continue;
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await kv.get(key);
        const held = current?.operation === "PUT" ? (current.json<{ at?: string }>().at ?? "0:0") : undefined;
        if (held !== undefined && !isBefore(held, at)) break; // as new as ours, or newer
        const body = JSON.stringify({ ...JSON.parse(value), at: atOf(at) });
        try {
          if (current) await kv.update(key, body, current.revision);
          else await kv.create(key, body);
          break;
        } catch {
          // Another replica wrote the key in between: read it again.
        }
      }
      written.set(key, value);
    }
  };
}

/** A directory that follows the bucket; `stop()` ends the watch. */
export interface FollowedDirectory extends PrincipalDirectory {
  stop(): void;
}

/**
 * Follows the bucket: its keys are read once (the returned promise settles after that), then
 * every change is applied as it comes, in revision order per key.
 */
export async function followDirectory(nc: NatsConnection, names: ClusterNames): Promise<FollowedDirectory> {
  const kv = await openBucket(nc, names);
  // Parsed once when it arrives, not at every call that looks it up.
  const values = new Map<string, { revision: number; entry: DirectoryEntry | "revoked" | undefined }>();
  const apply = (key: string, revision: number, value: string | undefined) => {
    if ((values.get(key)?.revision ?? 0) >= revision) return;
    values.set(key, { revision, entry: value === undefined ? undefined : key.startsWith("p.") ? parseEntry(value) : "revoked" });
  };
  // Watch first, then read: a change between the two is in the watch, and older values lose by revision.
  const watch = await kv.watch({ include: KvWatchInclude.UpdatesOnly });
  void (async () => {
    for await (const e of watch) apply(e.key, e.revision, e.operation === "PUT" ? e.string() : undefined);
  })();
  for await (const key of await kv.keys()) {
    const e = await kv.get(key);
    if (e) apply(key, e.revision, e.operation === "PUT" ? e.string() : undefined);
  }
  return {
    lookup(name) {
      const entry = values.get(`p.${name}`)?.entry;
      return entry === "revoked" ? undefined : entry;
    },
    isRevoked(tokenId) {
      return values.get(`t.${tokenId}`)?.entry === "revoked";
    },
    stop() {
      watch.stop();
    },
  };
}

function parseEntry(value: string): DirectoryEntry {
  const parsed = JSON.parse(value) as { grants: string[]; notBefore: number };
  return { grants: parsed.grants.map(parseGrant), notBefore: parsed.notBefore };
}
