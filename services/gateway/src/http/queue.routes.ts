import type { JsonObject } from "@bufbuild/protobuf";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { GantryError, hasCode } from "@gantry/platform";
import type { schedulerV1 } from "@gantry/proto";
import type { Backends } from "../backends.ts";
import { fetchAppsAndRuntime } from "./app-runtime.ts";
import { callerMetadata } from "./caller.ts";
import { askerOf } from "./held-answers.ts";
import { APP_DETAIL_EMBEDS, marathonApp, resolveAppEmbeds } from "./marathon-app-view.ts";
import { marathonPod } from "./marathon-pod-view.ts";
import { marathonQueueItem } from "./marathon-queue-view.ts";
import { embedParam, type Query } from "./request-params.ts";
import type { Reads } from "./reads.ts";
import { parseQueueDelayPath } from "./resource-paths.ts";

/** The `embed` value that adds `lastUnusedOffers` to each queue item (Marathon's `QueueResource`). */
const EMBED_LAST_UNUSED_OFFERS = "lastUnusedOffers";

/** `undefined` instead of the registry's NotFound: a run spec deleted while its instances were queued. */
async function unlessGone<T>(lookup: Promise<T>): Promise<T | undefined> {
  try {
    return await lookup;
  } catch (err) {
    if (hasCode(err, "NotFound")) return undefined;
    throw err;
  }
}

/**
 * The JSON of each queued run spec, in the items' order: an app as `GET /v2/apps/{id}` shows it
 * (tasks and deployments fetched once for all of them), a pod as `GET /v2/pods/{id}` does;
 * `undefined` for one the registry no longer has.
 */
async function runSpecViews(backends: Backends, reads: Reads, request: FastifyRequest, items: schedulerV1.PlacementExplanation[]): Promise<Array<JsonObject | undefined>> {
  const call = callerMetadata(request);
  const runtime = items.some((i) => !i.pod) ? fetchAppsAndRuntime(reads.held, askerOf(request), {}).then((r) => r.runtime) : undefined;
  const embeds = resolveAppEmbeds([], APP_DETAIL_EMBEDS);
  return Promise.all(
    items.map(async (item) => {
      if (item.pod) {
        const found = await unlessGone(backends.registry.getPod({ id: item.runSpecId }, call));
        return found?.pod && marathonPod(found.pod);
      }
      const [found, state] = await Promise.all([unlessGone(backends.registry.getApp({ id: item.runSpecId }, call)), runtime!]);
      return found?.app && marathonApp(found.app, state, embeds);
    }),
  );
}

/**
 * Marathon's launch queue, from the scheduler's placement explanations:
 * - `GET /v2/queue[?embed=lastUnusedOffers]` → `{"queue": [QueueItem…]}`; needs the scheduler's
 *   `ListQueue` and, per item, the registry's `GetApp`/`GetPod` (plus `ListTasks` and
 *   `ListDeployments` once when an app is queued), all as the caller.
 * - `DELETE /v2/queue/{id}/delay` → 204 once the scheduler's `ResetLaunchDelay` ended the backoff;
 *   404 `Application <id> not found in tasks queue.` when nothing of it waits.
 * Authorisation is the backends' (the caller's credentials travel with every call).
 */
export function registerQueueRoutes(app: FastifyInstance, backends: Backends, reads: Reads): void {
  app.get("/v2/queue", async (request) => {
    const lastUnusedOffers = embedParam(request.query as Query).has(EMBED_LAST_UNUSED_OFFERS);
    const { items } = await backends.scheduler.listQueue({}, callerMetadata(request));
    const views = await runSpecViews(backends, reads, request, items);
    const queue = items.flatMap((item, i) => {
      const runSpec = views[i];
      return runSpec ? [marathonQueueItem(item, runSpec, { lastUnusedOffers })] : [];
    });
    return { queue };
  });

  app.delete("/v2/queue/*", async (request, reply) => {
    const id = parseQueueDelayPath((request.params as { "*": string })["*"]);
    if (!id) return reply.callNotFound();
    try {
      await backends.scheduler.resetLaunchDelay({ id }, callerMetadata(request));
    } catch (err) {
      if (hasCode(err, "NotFound")) throw new GantryError("NotFound", `Application ${id} not found in tasks queue.`, { cause: err });
      throw err;
    }
    return reply.code(204).send();
  });
}
