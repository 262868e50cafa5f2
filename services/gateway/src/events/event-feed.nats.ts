import { DeliverPolicy } from "@nats-io/jetstream";
import { EVENTS_STREAM } from "@gantry/proto";
import { decodeRelayedEvent, type Bus, type RelayedEvent } from "@gantry/platform";

/** One event of the log as the relay published it, with its place in the events stream. */
export interface FedEvent {
  /** The JetStream sequence: commit order, and the id a subscriber resumes from. */
  sequence: number;
  event: RelayedEvent;
}

/** A live feed of the log's events; `close()` ends the iteration. */
export interface EventFeed extends AsyncIterable<FedEvent> {
  close(): Promise<void>;
}

/**
 * Follows the events stream the relay fills (`<cluster>.events.>`, commit order) with an ordered
 * consumer (ephemeral, flow-controlled, re-created by the client on a gap): from the next event
 * published, or from just after `afterSequence` (a subscriber's Last-Event-ID). Nothing is acked
 * or stored: a subscriber that goes away leaves nothing behind.
 */
export async function openEventFeed(bus: Bus, afterSequence?: number): Promise<EventFeed> {
  const start = afterSequence === undefined ? { deliver_policy: DeliverPolicy.New } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSequence + 1 };
  const consumer = await bus.js.consumers.get(bus.names.stream(EVENTS_STREAM.name), start);
  const messages = await consumer.consume();
  return {
    async *[Symbol.asyncIterator]() {
      for await (const m of messages) yield { sequence: m.seq, event: decodeRelayedEvent(m.data) };
    },
    async close() {
      await messages.close();
    },
  };
}
