import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { JetStreamApiError, type PubAck } from "@nats-io/jetstream";

/** One JetStream message to publish: its subject, bytes and headers (Nats-Msg-Id, expectations…). */
export interface OutgoingMessage {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs;
}

/** The answer to one publish: its PubAck, or why the server (or the deadline) refused it. */
export type PublishOutcome = { ok: true; ack: PubAck } | { ok: false; error: Error };

/**
 * Publishes many JetStream messages with all their PubAcks outstanding at once, over ONE reply
 * subscription and ONE deadline per batch. `js.publish` makes each message a request of its own
 * (a reply entry, a timer, and two errors built ahead with their stacks in case it fails), which
 * costs more CPU than the publish itself at relay rates; here a message costs its bytes and a map
 * entry. Outcomes come back in the order given; a message unanswered by the deadline fails with a
 * timeout (its PubAck, if it comes later, is ignored: the caller re-reads the stream's tail).
 */
export class PipelinedPublisher {
  readonly #nc: NatsConnection;
  readonly #inbox = createInbox();
  readonly #waiting = new Map<string, (m: Msg) => void>();
  readonly #subscription: Subscription;
  #next = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#subscription = nc.subscribe(`${this.#inbox}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const token = msg.subject.slice(this.#inbox.length + 1);
        const settle = this.#waiting.get(token);
        if (!settle) return;
        this.#waiting.delete(token);
        settle(msg);
      },
    });
  }

  /** Publishes every message at once; resolves with each one's outcome once all are answered or the deadline passed. */
  publish(messages: readonly OutgoingMessage[], timeoutMs: number): Promise<PublishOutcome[]> {
    if (messages.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const outcomes: PublishOutcome[] = new Array(messages.length);
      const tokens: string[] = [];
      let open = messages.length;
      const finish = () => {
        clearTimeout(timer);
        resolve(outcomes);
      };
      const timer = setTimeout(() => {
        for (const [i, token] of tokens.entries()) {
          if (!this.#waiting.delete(token)) continue;
          outcomes[i] = { ok: false, error: new Error(`no PubAck for ${messages[i]!.subject} within ${timeoutMs} ms`) };
        }
        finish();
      }, timeoutMs);
      for (const [i, message] of messages.entries()) {
        const token = (this.#next++).toString(36);
        tokens.push(token);
        this.#waiting.set(token, (reply) => {
          outcomes[i] = outcomeOf(reply, message.subject);
          if (--open === 0) finish();
        });
        try {
          this.#nc.publish(message.subject, message.data, { reply: `${this.#inbox}.${token}`, headers: message.headers });
        } catch (err) {
          this.#waiting.delete(token);
          outcomes[i] = { ok: false, error: err as Error };
          if (--open === 0) finish();
        }
      }
    });
  }

  /** Stops listening for PubAcks (outstanding publishes then fail at their deadline). */
  close(): void {
    this.#subscription.unsubscribe();
  }
}

/** Reads a PubAck, the server's refusal (`{"error":…}`), or "no responders" (no stream listens on the subject). */
function outcomeOf(reply: Msg, subject: string): PublishOutcome {
  if (reply.headers?.code === 503) return { ok: false, error: new Error(`no JetStream stream listens on ${subject}`) };
  try {
    const body = reply.json<PubAck & { error?: ConstructorParameters<typeof JetStreamApiError>[0] }>();
    if (body.error) return { ok: false, error: new JetStreamApiError(body.error) };
    return { ok: true, ack: { ...body, duplicate: body.duplicate ?? false } };
  } catch (err) {
    return { ok: false, error: new Error(`unreadable PubAck for ${subject}: ${(err as Error).message}`) };
  }
}
