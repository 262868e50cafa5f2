import { liveStats, startTcpRelay, type RelayConnection, type RelayHandlers } from "./tcp-relay.ts";
import {
  CANCEL_REQUEST_CODE,
  GSSENC_REQUEST_CODE,
  isCommitStatement,
  PostgresFrameReader,
  readCStrings,
  SSL_REQUEST_CODE,
  type PostgresFrame,
} from "./postgres-frames.ts";

/** Where a Postgres fault proxy forwards to and where it listens (default `127.0.0.1`, on a free port). */
export interface PostgresFaultProxyOptions {
  targetHost: string;
  targetPort: number;
  listenHost?: string;
}

/** Live counters of a Postgres fault proxy (read them any time; they only grow, except `openConnections`). */
export interface PostgresFaultProxyStats {
  /** Client connections accepted. */
  connections: number;
  /** Client connections open now. */
  openConnections: number;
  /** Transaction-ending COMMITs seen from any client, faulted or not. */
  commitsSeen: number;
  /** COMMITs whose outcome was hidden from the client by `armCommitLoss`. */
  commitLossesFired: number;
  /** COMMITs never delivered to the server by `armCommitDrop`. */
  commitDropsFired: number;
  /** Connections destroyed by `cutAll`. */
  cuts: number;
}

/**
 * A TCP proxy between PostgreSQL clients and a real server that frames the wire protocol and can
 * break a connection at a transaction's COMMIT, to test what a component does when it cannot know
 * (or did not get) its commit. Each client gets its own server connection; nothing is changed
 * in the bytes that pass. Connections that switch to TLS or GSS encryption pass through unparsed,
 * so no fault fires on them.
 */
export interface PostgresFaultProxy {
  readonly port: number;
  /** `databaseUrl` with its host and port replaced by the proxy's (database, user and parameters kept). */
  url(databaseUrl: string): string;
  /**
   * Arms a one-shot "outcome unknown" fault: the next transaction-ending COMMIT from any client
   * (simple Query, or an extended-protocol Execute of a prepared COMMIT) is forwarded; once the
   * server has answered it (CommandComplete, or ErrorResponse when the commit itself failed), that
   * answer is swallowed and both sockets are closed. The client sees its connection end at COMMIT
   * while the server has finished the commit. Replaces a fault armed before and not fired yet.
   */
  armCommitLoss(): void;
  /**
   * Arms a one-shot "commit never arrived" fault: the next transaction-ending COMMIT from any
   * client is not forwarded and both sockets are destroyed, so the server rolls the transaction
   * back (when its backend notices the closed socket, which is soon, not instant). Replaces a
   * fault armed before and not fired yet.
   */
  armCommitDrop(): void;
  /** Destroys every open connection, both sides. New connections are accepted as before. */
  cutAll(): void;
  /** Stops listening and destroys every open connection. Idempotent. */
  close(): Promise<void>;
  readonly stats: Readonly<PostgresFaultProxyStats>;
}

type CommitFault = "loss" | "drop";

/** Where the answer to a forwarded COMMIT will be in the server's stream, counted from the moment it was sent. */
interface AwaitedCommit {
  /** ReadyForQuery messages that answer earlier Query/Sync/startup and come first. */
  readiesBefore: number;
  /** Completions of earlier Executes of the commit's own extended-protocol batch. */
  completionsBefore: number;
}

const Q = 0x51, P = 0x50, B = 0x42, E = 0x45, S = 0x53, F = 0x46, CLOSE = 0x43;
const READY = 0x5a, COMPLETE = 0x43, ERROR = 0x45, EMPTY_QUERY = 0x49, SUSPENDED = 0x73;

/**
 * Starts a Postgres fault proxy listening on a free port of `listenHost`. Rejects when it cannot
 * listen; a target that is down shows up later, as each client's connection closing at once.
 */
export async function startPostgresFaultProxy(options: PostgresFaultProxyOptions): Promise<PostgresFaultProxy> {
  const listenHost = options.listenHost ?? "127.0.0.1";
  let armed: CommitFault | undefined;
  const counters = { commitsSeen: 0, commitLossesFired: 0, commitDropsFired: 0 };
  const takeFault = (): CommitFault | undefined => {
    const fault = armed;
    armed = undefined;
    return fault;
  };
  const relay = await startTcpRelay({ listenHost, targetHost: options.targetHost, targetPort: options.targetPort }, (conn) =>
    postgresConnection(conn, {
      commitSeen: () => {
        counters.commitsSeen += 1;
        return takeFault();
      },
      fired: (fault) => {
        if (fault === "loss") counters.commitLossesFired += 1;
        else counters.commitDropsFired += 1;
      },
    }),
  );
  const stats: PostgresFaultProxyStats = liveStats(relay, counters);
  return {
    port: relay.port,
    url(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = listenHost.includes(":") ? `[${listenHost}]` : listenHost;
      url.port = String(relay.port);
      return url.toString();
    },
    armCommitLoss: () => void (armed = "loss"),
    armCommitDrop: () => void (armed = "drop"),
    cutAll: () => relay.cutAll(),
    close: () => relay.close(),
    stats,
  };
}

interface CommitHooks {
  /** Counts a COMMIT and takes the armed fault, if any (so only one connection gets it). */
  commitSeen(): CommitFault | undefined;
  fired(fault: CommitFault): void;
}

/**
 * The protocol state of one proxied connection. Client messages are framed to find COMMITs;
 * server messages are framed only to find the answer to a COMMIT whose outcome is to be lost.
 */
function postgresConnection(conn: RelayConnection, hooks: CommitHooks): RelayHandlers {
  const fromClient = new PostgresFrameReader(true);
  const fromServer = new PostgresFrameReader(false);
  /** After the server accepts SSL/GSS encryption nothing can be framed: bytes pass as they are. */
  let opaque = false;
  let encryptionAnswersPending = 0;
  /** ReadyForQuery messages the server still owes: one per StartupMessage, Query, Sync and FunctionCall. */
  let readiesOwed = 0;
  /** Executes sent since the last Sync (their completions precede a later Execute's). */
  let executesInBatch = 0;
  const commitStatements = new Set<string>();
  const commitPortals = new Set<string>();
  let awaited: AwaitedCommit | undefined;
  /** After a commit whose outcome is to be lost, client bytes stop here (the Sync that flushes it still passes). */
  let clientFrozen: "no" | "after-sync" | "yes" = "no";

  const protocolError = () => conn.cut();

  function onClientFrame(frame: PostgresFrame, out: Buffer[]): "continue" | "stop" {
    if (clientFrozen === "yes") return "stop";
    if (frame.type === undefined) {
      const code = frame.body.readInt32BE(0);
      if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) encryptionAnswersPending += 1;
      else if (code !== CANCEL_REQUEST_CODE) {
        fromClient.untyped = false;
        readiesOwed += 1;
      }
      out.push(frame.bytes);
      return "continue";
    }
    switch (frame.type) {
      case Q: {
        const [sql = ""] = readCStrings(frame.body, 1);
        executesInBatch = 0;
        if (isCommitStatement(sql)) return onCommit(frame, out, "query");
        readiesOwed += 1;
        break;
      }
      case P: {
        const [name = "", sql = ""] = readCStrings(frame.body, 2);
        if (isCommitStatement(sql)) commitStatements.add(name);
        else commitStatements.delete(name);
        break;
      }
      case B: {
        const [portal = "", statement = ""] = readCStrings(frame.body, 2);
        if (commitStatements.has(statement)) commitPortals.add(portal);
        else commitPortals.delete(portal);
        break;
      }
      case CLOSE: {
        const [name = ""] = readCStrings(frame.body.subarray(1), 1);
        (frame.body[0] === S ? commitStatements : commitPortals).delete(name);
        break;
      }
      case E: {
        const [portal = ""] = readCStrings(frame.body, 1);
        if (commitPortals.has(portal)) return onCommit(frame, out, "execute");
        executesInBatch += 1;
        break;
      }
      case S:
        readiesOwed += 1;
        executesInBatch = 0;
        if (clientFrozen === "after-sync") clientFrozen = "yes";
        break;
      case F:
        readiesOwed += 1;
        break;
    }
    out.push(frame.bytes);
    return "continue";
  }

  function onCommit(frame: PostgresFrame, out: Buffer[], via: "query" | "execute"): "continue" | "stop" {
    const fault = hooks.commitSeen();
    if (fault === "drop") {
      hooks.fired("drop");
      conn.cut();
      return "stop";
    }
    if (fault === "loss") {
      awaited = { readiesBefore: readiesOwed, completionsBefore: via === "execute" ? executesInBatch : 0 };
      clientFrozen = via === "query" ? "yes" : "after-sync";
    }
    if (via === "query") readiesOwed += 1;
    else executesInBatch += 1;
    out.push(frame.bytes);
    return "continue";
  }

  /** Returns whether the frame goes to the client; fires the loss when it is the awaited commit's answer. */
  function onServerFrame(frame: PostgresFrame): "forward" | "fire" {
    if (frame.type === READY) readiesOwed = Math.max(0, readiesOwed - 1);
    if (awaited === undefined) return "forward";
    if (awaited.readiesBefore > 0) {
      if (frame.type === READY) awaited.readiesBefore -= 1;
      return "forward";
    }
    if (awaited.completionsBefore > 0 && (frame.type === COMPLETE || frame.type === EMPTY_QUERY || frame.type === SUSPENDED)) {
      awaited.completionsBefore -= 1;
      return "forward";
    }
    // An error before the commit's own Execute skips the rest of the batch: the ReadyForQuery
    // that follows is then the commit's (non-)answer.
    if (frame.type === COMPLETE || frame.type === ERROR || frame.type === READY) return "fire";
    return "forward";
  }

  return {
    fromClient(chunk) {
      if (opaque) return conn.toUpstream(chunk);
      fromClient.push(chunk);
      const out: Buffer[] = [];
      try {
        for (let frame = fromClient.next(); frame !== undefined; frame = fromClient.next()) {
          if (onClientFrame(frame, out) === "stop") break;
        }
      } catch {
        return protocolError();
      }
      conn.toUpstream(Buffer.concat(out));
    },
    fromUpstream(chunk) {
      if (opaque) return conn.toClient(chunk);
      fromServer.push(chunk);
      const out: Buffer[] = [];
      try {
        for (;;) {
          if (encryptionAnswersPending > 0) {
            const answer = fromServer.takeByte();
            if (answer === undefined) break;
            encryptionAnswersPending -= 1;
            out.push(answer);
            // 'S' (SSL) or 'G' (GSS): encrypted bytes follow, which this proxy cannot frame.
            if (answer[0] !== 0x4e) {
              opaque = true;
              out.push(fromServer.takeRest());
              break;
            }
            continue;
          }
          const frame = fromServer.next();
          if (frame === undefined) break;
          if (onServerFrame(frame) === "fire") {
            conn.toClient(Buffer.concat(out));
            hooks.fired("loss");
            conn.hangUp();
            return;
          }
          out.push(frame.bytes);
        }
      } catch {
        return protocolError();
      }
      conn.toClient(Buffer.concat(out));
    },
  };
}
