import { InvalidArgumentError, type Command } from "commander";
import { schedulerV1 } from "@gantry/proto";
import { printResult, type OutputOptions } from "../output.ts";
import { renderTable } from "../render/table.ts";
import { commandGroup, withClient, withJson } from "./command-kit.ts";
import { addEventsTailCommand } from "./events-tail.ts";

function limit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError("must be a whole number from 1 to 1000");
  return n;
}

/** `gantry events …`: follow the cluster's events; its event plumbing as an operator needs to see it. */
export function eventsCommand(): Command {
  const events = commandGroup("events", "follow the cluster's events (tail) and inspect its event plumbing (parked)");
  addEventsTailCommand(events);
  withJson(events.command("parked").description("messages consumers gave up on (parked, never lost): counts per consumer and the latest, with why"))
    .option("--limit <n>", "how many of the latest parked messages to show (1-1000)", limit, 20)
    .action(async (opts: OutputOptions & { limit: number }) => {
      const result = await withClient((api) => api.scheduler.listParkedMessages({ limit: opts.limit }));
      printResult(opts, schedulerV1.ListParkedMessagesResponseSchema, result, () => {
        if (result.total === 0n) return "no parked messages";
        const counts = renderTable(["consumer", "parked", "subject"], result.consumers.map((c) => [c.consumer, String(c.count), c.subject]));
        const recent = renderTable(
          ["parked at", "consumer", "from", "key", "attempts", "reason"],
          result.recent.map((m) => [m.parkedAt, m.consumer, `${m.subject} #${m.sequence}`, m.key, String(m.attempts), m.reason]),
        );
        return `${result.total} parked message(s)\n${counts}\n\nlatest:\n${recent}`;
      });
    });
  return events;
}
