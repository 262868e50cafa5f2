import { logCursor, logsV1 } from "@gantry/proto";
import { bindService, type AccessAudit, type ServiceBinding } from "@gantry/platform";
import type { Bus } from "@gantry/platform/bus";
import { compileQuery, compileSelection, MAX_LIMIT } from "../domain/log-query.ts";
import { decodeCursor } from "../domain/log-position.ts";
import { lastPositionOf } from "../domain/log-chunk.ts";
import { followLines, streamEndPosition } from "./log-follow.nats.ts";
import { encodeFollowLogsResponse, encodeQueryLogsResponse } from "./log-lines.encoding.ts";
import type { LogStore } from "./log-store.postgres.ts";
import { authorizeSelection, logsPermissions } from "./logs-permissions.ts";

/**
 * `gantry.logs.v1.LogsService`: range queries from PostgreSQL, follow from PostgreSQL then the
 * LOGS stream (see followLines); answers are encoded by hand, once, as columns (texts copied from
 * the stored blocks, each line's source once per answer: log-lines.encoding.ts).
 * Every call is authorised by `logsPermissions` and then `authorizeSelection`; a bad filter is
 * InvalidArgument naming the field.
 */
export function logsService(store: LogStore, bus: Bus, audit?: AccessAudit): ServiceBinding {
  return bindService(
    logsV1.LogsService,
    {
      async queryLogs(request, ctx) {
        const q = compileQuery(request);
        await authorizeSelection(ctx, q.selection, store);
        const runs = await store.query(q);
        const last = lastPositionOf(runs);
        return encodeQueryLogsResponse(runs, last === undefined ? request.cursor : logCursor(last));
      },
      async *followLogs(request, ctx) {
        const selection = compileSelection(request.filter);
        await authorizeSelection(ctx, selection, store);
        let after = decodeCursor(request.cursor);
        if (request.skipPrev > 0) {
          const prev = await store.query({ selection, ...(after === undefined ? {} : { after }), skipPrev: Math.min(request.skipPrev, MAX_LIMIT), limit: 0 });
          const last = lastPositionOf(prev);
          if (last !== undefined) {
            yield encodeFollowLogsResponse(prev);
            after = last;
          }
        }
        // No cursor and nothing asked from before: only what is shipped from now on.
        if (after === undefined && request.skipPrev === 0) after = await streamEndPosition(bus);
        for await (const runs of followLines(bus, store, selection, after, ctx.signal)) yield encodeFollowLogsResponse(runs);
      },
    },
    logsPermissions(),
    audit,
  );
}

