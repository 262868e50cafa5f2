import type { ConsumerMessages } from "@nats-io/jetstream";

/** A running watch over one consumer's messages (see watchConsumerStall). */
export interface ConsumerStallWatch {
  /** Whether the watch found the consumer stuck (and ran `onStall`). */
  readonly stalled: boolean;
  /** Records a sign of life the watch cannot see itself: a message taken from the iterator. */
  alive(): void;
  /** Ends the watch. */
  stop(): void;
}

/**
 * Watches a consumer's messages for signs of life: a message, a heartbeat, a renewed pull (every
 * status notification but "heartbeats_missed"). With `consume({ expires })`, a live consumer gives
 * one at least every `expires` ms even when no message comes. One that gives none for `stalledAfterMs`
 * is stuck, and `onStall` runs once (the caller closes the messages and starts over with a new
 * consumer). This happens on a NATS 2.9 cluster when the server holding an ordered consumer dies:
 * the cluster keeps the consumer listed on the dead server, so the client waits for it forever
 * instead of making a new one.
 */
export function watchConsumerStall(messages: ConsumerMessages, stalledAfterMs: number, onStall: () => void): ConsumerStallWatch {
  let lastSign = Date.now();
  let stalled = false;
  void (async () => {
    for await (const status of messages.status()) if (status.type !== "heartbeats_missed") lastSign = Date.now();
  })().catch(() => undefined);
  const timer = setInterval(() => {
    if (Date.now() - lastSign < stalledAfterMs) return;
    stalled = true;
    clearInterval(timer);
    onStall();
  }, Math.max(100, stalledAfterMs / 10));
  return {
    get stalled() {
      return stalled;
    },
    alive: () => void (lastSign = Date.now()),
    stop: () => clearInterval(timer),
  };
}
