import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { schedulerV1 } from "@gantry/proto";
import { renderPlacementExplanation, verdictMark } from "./placement.ts";

const { PlacementDimension: D } = schedulerV1;
const v = (dimension: schedulerV1.PlacementDimension, ok: boolean, code = "", message = "") => ({ dimension, ok, code, message });

/** A fixed ExplainPlacementResponse: a constraint, two resource refusals, a draining agent, one that fits. */
const RESPONSE = create(schedulerV1.ExplainPlacementResponseSchema, {
  explanation: {
    runSpecId: "/shop/web",
    waiting: 3,
    since: "2024-05-01T09:00:00.000Z",
    delaySecondsLeft: 11.2,
    processedOffers: 12n,
    unusedOffers: 9n,
    lastUnusedOfferAt: "2024-05-01T10:00:00.000Z",
    agents: [
      { agentId: "a1", hostname: "h1", checkedAt: "2024-05-01T10:00:00.000Z", dimensions: [v(D.ROLE, true), v(D.CONSTRAINT, false, "UnfulfilledConstraint", "hostname:UNIQUE: h1 already runs /shop/web")] },
      {
        agentId: "a2",
        hostname: "h2",
        checkedAt: "2024-05-01T10:00:01.000Z",
        dimensions: [v(D.ROLE, true), v(D.CONSTRAINT, true), v(D.MAINTENANCE, true), v(D.CPUS, true), v(D.MEM, false, "InsufficientMemory", "needs 512 MB, 128 free"), v(D.DISK, true), v(D.GPUS, true), v(D.PORTS, false, "InsufficientPorts")],
      },
      { agentId: "a3", hostname: "h3", checkedAt: "2024-05-01T10:00:02.000Z", dimensions: [v(D.ROLE, true), v(D.CONSTRAINT, true), v(D.MAINTENANCE, false, "AgentMaintenance", "draining: disk swap")] },
      { agentId: "a4", hostname: "", checkedAt: "2024-05-01T10:00:03.000Z", fits: true, dimensions: [D.ROLE, D.CONSTRAINT, D.MAINTENANCE, D.CPUS, D.MEM, D.DISK, D.GPUS, D.PORTS].map((d) => v(d, true)) },
    ],
  },
});

describe("gantry app debug's rendering", () => {
  test("summary, the per-agent table (✓ passed, ✗ refused, - unchecked; draining hosts marked; id when no hostname), then the refusals' messages", () => {
    assert.equal(
      renderPlacementExplanation(RESPONSE.explanation!),
      [
        "ID       /shop/web (app)",
        "WAITING  3 instances since 2024-05-01T09:00:00.000Z",
        "DELAY    12s left (HTTP DELETE /v2/queue/shop/web/delay ends it)",
        "OFFERS   12 checked, 9 did not fit; last unused 2024-05-01T10:00:00.000Z",
        "",
        "HOST              ROLE  CONSTRAINT  CPU  MEM  DISK  GPU  PORT  RECEIVED",
        "h1                ✓     ✗           -    -    -     -    -     2024-05-01T10:00:00.000Z",
        "h2                ✓     ✓           ✓    ✗    ✓     ✓    ✗     2024-05-01T10:00:01.000Z",
        "h3 (maintenance)  ✓     ✓           -    -    -     -    -     2024-05-01T10:00:02.000Z",
        "a4                ✓     ✓           ✓    ✓    ✓     ✓    ✓     2024-05-01T10:00:03.000Z",
        "",
        "why not:",
        "HOST  CHECK        REASON",
        "h1    CONSTRAINT   hostname:UNIQUE: h1 already runs /shop/web (UnfulfilledConstraint)",
        "h2    MEM          needs 512 MB, 128 free (InsufficientMemory)",
        "h2    PORT         InsufficientPorts",
        "h3    MAINTENANCE  draining: disk swap (AgentMaintenance)",
      ].join("\n"),
    );
  });

  const summaryCases: Array<[string, Partial<schedulerV1.PlacementExplanation>, RegExp]> = [
    ["a pod", { pod: true, agents: [] }, /^ID {7}\/shop\/web \(pod\)$/m],
    ["one instance", { waiting: 1 }, /^WAITING  1 instance since /m],
    ["nothing waits", { waiting: 0 }, /^WAITING  nothing: every instance is placed$/m],
    ["no delay", { delaySecondsLeft: 0 }, /^DELAY {4}none$/m],
    ["backoff over", { delaySecondsLeft: 0, overdue: true }, /^DELAY {4}none \(the backoff is over\)$/m],
    ["last used shown", { lastUsedOfferAt: "2024-05-01T11:00:00.000Z" }, /; last unused 2024-05-01T10:00:00.000Z, last used 2024-05-01T11:00:00.000Z$/m],
    ["no agent checked", { agents: [] }, /\n\nno agent checked yet$/],
    ["all fit", { agents: [RESPONSE.explanation!.agents[3]!] }, /\n\nevery agent checked would take an instance$/],
  ];
  for (const [name, change, expected] of summaryCases) {
    test(name, () => assert.match(renderPlacementExplanation({ ...RESPONSE.explanation!, ...change }), expected));
  }

  test("verdictMark: ✓, ✗, - (a check after the first refusal may be absent)", () => {
    const dims = [v(D.ROLE, true), v(D.CPUS, false, "InsufficientCpus")].map((d) => create(schedulerV1.DimensionVerdictSchema, d));
    assert.deepEqual([verdictMark(dims, D.ROLE), verdictMark(dims, D.CPUS), verdictMark(dims, D.PORTS)], ["✓", "✗", "-"]);
  });
});
