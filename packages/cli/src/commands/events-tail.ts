import { InvalidArgumentError, type Command } from "commander";
import { EventSource } from "eventsource";
import { gatewayFetch } from "@gantry/platform";
import { resolveClientConfig } from "../client-config.ts";
import { describeMarathonEvent, MARATHON_EVENT_TYPES } from "../render/marathon-events.ts";

interface TailOptions {
  type?: string[];
  json?: boolean;
  count?: number;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number of events, 1 or more");
  return n;
}

/**
 * Adds `events tail`: follows the gateway's `/v2/events` (Marathon's event bus as server-sent
 * events) with an EventSource, which reconnects with Last-Event-ID on its own, so nothing is
 * missed across a dropped connection; one line per event until Ctrl-C (or `--count`).
 */
export function addEventsTailCommand(events: Command): void {
  events
    .command("tail")
    .description("follow the cluster's events as they happen (Marathon's event types): one line each, until Ctrl-C")
    .option("--type <eventType...>", `only these event types (${MARATHON_EVENT_TYPES.slice(0, 3).join(", ")}, …)`)
    .option("--json", "print each event's JSON payload, one per line")
    .option("--count <n>", "stop after this many events", count)
    .action(async (opts: TailOptions) => {
      const config = resolveClientConfig();
      const types = opts.type ?? MARATHON_EVENT_TYPES;
      const unknown = types.filter((t) => !MARATHON_EVENT_TYPES.includes(t));
      if (unknown.length > 0) throw new InvalidArgumentError(`unknown event type ${unknown.join(", ")}; known: ${MARATHON_EVENT_TYPES.join(", ")}`);
      const url = new URL("/v2/events", config.url);
      url.searchParams.set("plan-format", "light");
      for (const t of opts.type ?? []) url.searchParams.append("event_type", t);
      const source = new EventSource(url, {
        fetch: (input, init) => gatewayFetch(config.ca)(input, { ...init, headers: { ...init.headers, authorization: `Bearer ${config.token}` } }),
      });
      let seen = 0;
      await new Promise<void>((resolve, reject) => {
        source.addEventListener("error", (err) => {
          // 401/403 are final; anything else the EventSource retries by itself.
          if (err.code === 401 || err.code === 403) {
            source.close();
            reject(new Error(`the gateway refused the event stream (HTTP ${err.code}): check GANTRY_TOKEN`));
          }
        });
        for (const type of types) {
          source.addEventListener(type, (event) => {
            const payload = JSON.parse(event.data) as Record<string, unknown>;
            process.stdout.write(`${opts.json ? JSON.stringify(payload) : describeMarathonEvent(type, payload)}\n`);
            if (opts.count !== undefined && ++seen >= opts.count) {
              source.close();
              resolve();
            }
          });
        }
      });
    });
}
