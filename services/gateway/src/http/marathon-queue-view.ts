import type { JsonObject } from "@bufbuild/protobuf";
import type { schedulerV1 } from "@gantry/proto";
import { marathonUnusedOffer } from "./marathon-offer-view.ts";
import { rejectFunnel } from "./marathon-reject-funnel.ts";

/**
 * Marathon's `delay` of a queue item: whole seconds of launch backoff left (rounded up, so a
 * delay still running never reads 0) and whether its deadline passed. Pure.
 */
export function marathonDelay(explanation: schedulerV1.PlacementExplanation): JsonObject {
  const left = Number.isFinite(explanation.delaySecondsLeft) ? Math.max(0, Math.ceil(explanation.delaySecondsLeft)) : 0;
  return { timeLeftSeconds: left, overdue: explanation.overdue };
}

/**
 * Marathon's `processedOffersSummary`: offers (agent checks) processed and unused since the
 * launch attempt began, the times of the last unused and last used one (left out when there was
 * none), and both reject summaries with every funnel row (`rejectFunnel`). Pure.
 */
export function marathonOffersSummary(explanation: schedulerV1.PlacementExplanation): JsonObject {
  const summary: JsonObject = {
    processedOffersCount: Number(explanation.processedOffers),
    unusedOffersCount: Number(explanation.unusedOffers),
  };
  if (explanation.lastUnusedOfferAt) summary.lastUnusedOfferAt = explanation.lastUnusedOfferAt;
  if (explanation.lastUsedOfferAt) summary.lastUsedOfferAt = explanation.lastUsedOfferAt;
  summary.rejectSummaryLastOffers = rejectFunnel(explanation.rejectSummaryLastOffers) as unknown as JsonObject[];
  summary.rejectSummaryLaunchAttempt = rejectFunnel(explanation.rejectSummaryLaunchAttempt) as unknown as JsonObject[];
  return summary;
}

/**
 * One item of Marathon's `GET /v2/queue` (`QueueItem`): the run spec's JSON under `app` or `pod`
 * (as the explanation says it is), `count` = instances still to place, `delay`, `since`,
 * `processedOffersSummary`, and with `lastUnusedOffers` one unused offer per agent that does not
 * fit (agents that would fit made no unused offer). `runSpec` is passed through untouched. Pure.
 */
export function marathonQueueItem(explanation: schedulerV1.PlacementExplanation, runSpec: JsonObject, options: { lastUnusedOffers: boolean }): JsonObject {
  const item: JsonObject = {
    [explanation.pod ? "pod" : "app"]: runSpec,
    count: explanation.waiting,
    delay: marathonDelay(explanation),
    since: explanation.since,
    processedOffersSummary: marathonOffersSummary(explanation),
  };
  if (options.lastUnusedOffers) item.lastUnusedOffers = explanation.agents.filter((a) => !a.fits).map(marathonUnusedOffer);
  return item;
}
