import pg from "pg";

/**
 * A dedicated connection that LISTENs on the append channel and wakes waiters. It is not taken
 * from the pool: a pooled connection would be handed to other queries and lose its LISTEN.
 * A notification only says "something committed"; waiters always re-read from their position,
 * and also wake on a poll timeout, because rows can cross the xmin horizon with no new notify
 * (the transaction that held the horizon back may have written nothing).
 */
export class NotificationListener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #waiters = new Set<() => void>();
  #closed = false;
  #generation = 0;

  /** A listener for `channel`, connecting lazily with `config` on the first wait. */
  constructor(config: pg.ClientConfig, channel: string) {
    this.#config = config;
    this.#channel = channel;
  }

  /** Counts notifications received; read it before a read so a wait cannot miss one in between. */
  get generation(): number {
    return this.#generation;
  }

  /** Opens the connection and LISTENs now (waits do it lazily); rejects when Postgres refuses. */
  listen(): Promise<void> {
    return this.#ensureConnected();
  }

  /**
   * Resolves on the next notification (or at once if one came after `sinceGeneration`), after
   * `timeoutMs`, or when `signal` aborts, whichever is first. Never rejects: a lost connection is
   * re-opened on the next wait, and the timeout keeps waiters polling meanwhile.
   */
  async wait(timeoutMs: number, signal?: AbortSignal, sinceGeneration?: number): Promise<void> {
    if (signal?.aborted || this.#closed) return;
    await this.#ensureConnected().catch(() => undefined);
    if (sinceGeneration !== undefined && sinceGeneration !== this.#generation) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener("abort", done, { once: true });
      this.#waiters.add(done);
    });
  }

  /** Closes the connection and releases every waiter. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of [...this.#waiters]) wake();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #ensureConnected(): Promise<void> {
    if (this.#client !== undefined || this.#closed) return Promise.resolve();
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#config);
    const drop = () => {
      if (this.#client === client) this.#client = undefined;
      client.end().catch(() => undefined);
    };
    client.on("error", drop);
    client.on("end", drop);
    client.on("notification", () => {
      this.#generation++;
      for (const wake of [...this.#waiters]) wake();
    });
    await client.connect();
    await client.query(`LISTEN ${pg.escapeIdentifier(this.#channel)}`);
    if (this.#closed) {
      await client.end();
      return;
    }
    this.#client = client;
  }
}
