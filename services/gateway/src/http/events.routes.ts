import { once } from "node:events";
import type { FastifyInstance } from "fastify";
import type { Backends } from "../backends.ts";
import { backendEventContext } from "../events/event-context.ts";
import type { EventFeed } from "../events/event-feed.nats.ts";
import { MarathonEventTranslator } from "../events/marathon-events.ts";
import { callerMetadata } from "./caller.ts";
import { stringParam, type Query } from "./request-params.ts";

/** Opens a feed of the log's events from the next one, or from just after a stream sequence. */
export type OpenEventFeed = (afterSequence?: number) => Promise<EventFeed>;

/** How often an idle stream carries a comment line, so proxies and clients see it alive. */
const KEEPALIVE_MS = 15_000;

/**
 * Marathon's `GET /v2/events`: server-sent events, `event: <eventType>` and `data: <json>` per
 * event, starting with `event_stream_attached`. `event_type` (repeatable) keeps only those types;
 * `plan-format=light` leaves the groups out of deployment plans. Every event has an id,
 * `<sequence>-<n>` (the n-th Marathon event of the log event at that events-stream sequence): a
 * client reconnecting with `Last-Event-ID` gets every event after it, none twice.
 */
export function registerEventRoutes(app: FastifyInstance, backends: Backends, openFeed: OpenEventFeed): void {
  app.get("/v2/events", async (request, reply) => {
    const query = request.query as Query;
    const types = [query.event_type ?? []].flat().map(String);
    const wanted = new Set(types.flatMap((t) => t.split(",")).filter((t) => t !== ""));
    const fullPlans = stringParam(query, "plan-format") !== "light";
    const resume = parseEventId(request.headers["last-event-id"]);
    const feed = await openFeed(resume?.sequence);
    const translator = new MarathonEventTranslator(backendEventContext(backends, callerMetadata(request)), { fullPlans });
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    const write = async (text: string) => {
      if (!out.write(text)) await once(out, "drain");
    };
    const keepalive = setInterval(() => out.write(":\n\n"), KEEPALIVE_MS);
    let closed = false;
    request.raw.on("close", () => {
      closed = true;
      clearInterval(keepalive);
      void feed.close();
    });
    if (wanted.size === 0 || wanted.has("event_stream_attached")) {
      await write(sse(undefined, "event_stream_attached", { remoteAddress: request.ip, eventType: "event_stream_attached", timestamp: new Date().toISOString() }));
    }
    try {
      for await (const { sequence, event } of feed) {
        const translated = await translator.translate(event);
        for (const [n, m] of translated.entries()) {
          if (closed) return;
          if (resume && sequence === resume.sequence && n <= resume.index) continue;
          if (wanted.size > 0 && !wanted.has(m.eventType)) continue;
          await write(sse(`${sequence}-${n}`, m.eventType, m.payload));
        }
      }
    } catch (err) {
      if (!closed) request.log.warn({ err }, "event stream ended");
    } finally {
      clearInterval(keepalive);
      await feed.close().catch(() => undefined);
      out.end();
    }
  });
}

function sse(id: string | undefined, eventType: string, payload: object): string {
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${eventType}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** `<sequence>-<n>` as the stream numbers its events; anything else starts from now. */
function parseEventId(header: string | string[] | undefined): { sequence: number; index: number } | undefined {
  const m = /^(\d+)-(\d+)$/.exec(String(header ?? "").trim());
  return m ? { sequence: Number(m[1]), index: Number(m[2]) } : undefined;
}
