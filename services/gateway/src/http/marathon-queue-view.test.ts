import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { schedulerV1, schedulerV1Model } from "@gantry/proto";
import { freePortRanges, marathonOfferResources, marathonUnusedOffer, mesosAttribute } from "./marathon-offer-view.ts";
import { marathonDelay, marathonQueueItem } from "./marathon-queue-view.ts";
import { REASON_FUNNEL, refusalReasons, rejectFunnel } from "./marathon-reject-funnel.ts";

// The /v2/queue conversion, table by table: scheduler messages in, Marathon 1.4's JSON out.

const { PlacementDimension: D } = schedulerV1;

const verdict = (dimension: schedulerV1.PlacementDimension, ok: boolean, code = "", message = "") =>
  create(schedulerV1.DimensionVerdictSchema, { dimension, ok, code, message });
const count = (reason: string, declined: number, processed: number) => create(schedulerV1.ReasonCountSchema, { reason, declined: BigInt(declined), processed: BigInt(processed) });
const agent = (init: Record<string, unknown>) => create(schedulerV1Model.AgentSchema, init);

describe("mesosAttribute renders attributes as Mesos types them", () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ["integer", "4", { name: "a", scalar: 4 }],
    ["decimal", "1.5", { name: "a", scalar: 1.5 }],
    ["negative", "-2", { name: "a", scalar: -2 }],
    ["ranges", "[1-10, 20-30]", { name: "a", ranges: [{ begin: 1, end: 10 }, { begin: 20, end: 30 }] }],
    ["one-port range", "[5]", { name: "a", ranges: [{ begin: 5, end: 5 }] }],
    ["set", "{ssd, nvme}", { name: "a", set: ["ssd", "nvme"] }],
    ["text", "r1", { name: "a", text: "r1" }],
    ["malformed ranges stay text", "[1-x]", { name: "a", text: "[1-x]" }],
    ["backwards ranges stay text", "[9-1]", { name: "a", text: "[9-1]" }],
    ["version-like text", "1.2.3", { name: "a", text: "1.2.3" }],
  ];
  for (const [name, value, expected] of cases) test(name, () => assert.deepEqual(mesosAttribute("a", value), expected));
});

describe("freePortRanges subtracts the ports in use", () => {
  const cases: Array<[string, Array<[number, number]>, number[], Array<[number, number]>]> = [
    ["none in use", [[31000, 31005]], [], [[31000, 31005]]],
    ["middle", [[31000, 31005]], [31002], [[31000, 31001], [31003, 31005]]],
    ["edges", [[31000, 31005]], [31000, 31005], [[31001, 31004]]],
    ["all", [[1, 2]], [2, 1], []],
    ["outside ignored, ranges sorted", [[20, 21], [10, 11]], [5, 11], [[10, 10], [20, 21]]],
  ];
  for (const [name, offered, inUse, free] of cases) {
    test(name, () => {
      const ranges = (list: Array<[number, number]>) => list.map(([begin, end]) => ({ begin, end }));
      assert.deepEqual(freePortRanges(ranges(offered), inUse), ranges(free));
    });
  }
});

describe("marathonOfferResources: free scalars per role, zeros left out, then free ports", () => {
  const cases: Array<[string, schedulerV1Model.Agent | undefined, unknown[]]> = [
    ["no agent", undefined, []],
    [
      "free without a role split is role *",
      agent({ free: { cpus: 2, mem: 1024, disk: 0, gpus: 0 }, portRanges: [{ begin: 31000, end: 31002 }], portsInUse: [31001] }),
      [
        { name: "cpus", role: "*", scalar: 2 },
        { name: "mem", role: "*", scalar: 1024 },
        { name: "ports", role: "*", ranges: [{ begin: 31000, end: 31000 }, { begin: 31002, end: 31002 }] },
      ],
    ],
    [
      "per role",
      agent({ free: { cpus: 3 }, freeByRole: [{ role: "*", resources: { cpus: 1 } }, { role: "gpu", resources: { cpus: 2, gpus: 1 } }] }),
      [
        { name: "cpus", role: "*", scalar: 1 },
        { name: "cpus", role: "gpu", scalar: 2 },
        { name: "gpus", role: "gpu", scalar: 1 },
      ],
    ],
  ];
  for (const [name, input, expected] of cases) test(name, () => assert.deepEqual(marathonOfferResources(input), expected));
});

describe("rejectFunnel: every reason in funnel order, Marathon's arithmetic", () => {
  const rows = (list: Array<[string, number, number]>) => list.map(([r, d, p]) => count(r, d, p));
  const full = (declined: Record<string, number>, total: number) => {
    let processed = total;
    return REASON_FUNNEL.map((reason) => {
      const row = { reason, declined: declined[reason] ?? 0, processed };
      processed -= row.declined;
      return row;
    });
  };
  const cases: Array<[string, Array<[string, number, number]>, unknown[]]> = [
    ["nothing checked: every row, zeros", [], full({}, 0)],
    [
      "complete rows in scheduler order are kept",
      REASON_FUNNEL.map((r, i) => [r, r === "InsufficientMemory" ? 3 : r === "UnfulfilledRole" ? 1 : 0, i <= 0 ? 5 : i <= 5 ? 4 : 1] as [string, number, number]),
      full({ UnfulfilledRole: 1, InsufficientMemory: 3 }, 5),
    ],
    ["missing rows filled, out of order sorted", [["InsufficientCpus", 2, 2], ["UnfulfilledConstraint", 1, 3]], full({ UnfulfilledConstraint: 1, InsufficientCpus: 2 }, 3)],
    ["no processed given: the sum of declined", [["InsufficientPorts", 2, 0]], full({ InsufficientPorts: 2 }, 2)],
    ["unknown reasons come last", [["Weird", 1, 1]], [...full({}, 1), { reason: "Weird", declined: 1, processed: 1 }]],
  ];
  for (const [name, input, expected] of cases) test(name, () => assert.deepEqual(rejectFunnel(rows(input)), expected));
});

describe("refusalReasons: refused dimensions' codes, funnel order, once each", () => {
  const cases: Array<[string, schedulerV1.DimensionVerdict[], string[]]> = [
    ["all ok", [verdict(D.ROLE, true), verdict(D.CPUS, true)], []],
    ["codes in funnel order", [verdict(D.PORTS, false, "InsufficientPorts"), verdict(D.MEM, false, "InsufficientMemory"), verdict(D.ROLE, true)], ["InsufficientMemory", "InsufficientPorts"]],
    ["no code: the dimension's reason", [verdict(D.MAINTENANCE, false), verdict(D.CONSTRAINT, false)], ["UnfulfilledConstraint", "AgentMaintenance"]],
    ["scarce GPUs are their own reason", [verdict(D.GPUS, false, "DeclinedScarceResources")], ["DeclinedScarceResources"]],
    ["duplicates once", [verdict(D.CPUS, false, "InsufficientCpus"), verdict(D.CPUS, false, "InsufficientCpus")], ["InsufficientCpus"]],
  ];
  for (const [name, input, expected] of cases) test(name, () => assert.deepEqual(refusalReasons(input), expected));
});

describe("marathonDelay", () => {
  const cases: Array<[string, number, boolean, unknown]> = [
    ["no delay", 0, false, { timeLeftSeconds: 0, overdue: false }],
    ["rounded up", 2.1, false, { timeLeftSeconds: 3, overdue: false }],
    ["overdue", 0, true, { timeLeftSeconds: 0, overdue: true }],
    ["never negative", -4, true, { timeLeftSeconds: 0, overdue: true }],
  ];
  for (const [name, left, overdue, expected] of cases) {
    test(name, () => assert.deepEqual(marathonDelay(create(schedulerV1.PlacementExplanationSchema, { delaySecondsLeft: left, overdue })), expected));
  }
});

const CHECKED = "2024-05-01T10:00:00.000Z";
const tight = create(schedulerV1.AgentVerdictsSchema, {
  agentId: "a1",
  hostname: "h1",
  checkedAt: CHECKED,
  fits: false,
  dimensions: [verdict(D.ROLE, true), verdict(D.CONSTRAINT, true), verdict(D.MAINTENANCE, true), verdict(D.CPUS, false, "InsufficientCpus", "needs 2 cpus, 1 free"), verdict(D.MEM, false, "InsufficientMemory")],
  agent: agent({ agentId: "a1", hostname: "h1", attributes: { zone: "a", rack: "2", disks: "{ssd,hdd}" }, free: { cpus: 1, mem: 64 }, portRanges: [{ begin: 31000, end: 31000 }] }),
});
const roomy = create(schedulerV1.AgentVerdictsSchema, { agentId: "a2", hostname: "h2", checkedAt: CHECKED, fits: true, dimensions: [verdict(D.ROLE, true)] });

test("an unused offer: stable id, hostname, agentId, offered resources, sorted typed attributes, all reasons, timestamp", () => {
  assert.deepEqual(marathonUnusedOffer(tight), {
    offer: {
      id: `a1-${CHECKED}`,
      hostname: "h1",
      agentId: "a1",
      resources: [
        { name: "cpus", role: "*", scalar: 1 },
        { name: "mem", role: "*", scalar: 64 },
        { name: "ports", role: "*", ranges: [{ begin: 31000, end: 31000 }] },
      ],
      attributes: [
        { name: "disks", set: ["ssd", "hdd"] },
        { name: "rack", scalar: 2 },
        { name: "zone", text: "a" },
      ],
    },
    reason: ["InsufficientCpus", "InsufficientMemory"],
    timestamp: CHECKED,
  });
});

describe("marathonQueueItem", () => {
  const explanation = create(schedulerV1.PlacementExplanationSchema, {
    runSpecId: "/shop/web",
    waiting: 2,
    since: "2024-05-01T09:00:00.000Z",
    delaySecondsLeft: 0,
    overdue: true,
    agents: [tight, roomy],
    rejectSummaryLastOffers: [count("InsufficientCpus", 1, 1)],
    rejectSummaryLaunchAttempt: [count("UnfulfilledRole", 3, 10), count("InsufficientCpus", 5, 7)],
    processedOffers: 10n,
    unusedOffers: 8n,
    lastUnusedOfferAt: CHECKED,
  });
  const app = { id: "/shop/web", cmd: "sleep 1" };

  test("an app item: the app's JSON untouched, count, delay, since, the summary with both funnels; lastUsedOfferAt left out when none", () => {
    const item = marathonQueueItem(explanation, app, { lastUnusedOffers: false });
    assert.deepEqual(Object.keys(item), ["app", "count", "delay", "since", "processedOffersSummary"]);
    assert.equal(item.app, app);
    assert.equal(item.count, 2);
    assert.deepEqual(item.delay, { timeLeftSeconds: 0, overdue: true });
    assert.equal(item.since, "2024-05-01T09:00:00.000Z");
    const summary = item.processedOffersSummary as Record<string, unknown>;
    assert.deepEqual(Object.keys(summary), ["processedOffersCount", "unusedOffersCount", "lastUnusedOfferAt", "rejectSummaryLastOffers", "rejectSummaryLaunchAttempt"]);
    assert.equal(summary.processedOffersCount, 10);
    assert.equal(summary.unusedOffersCount, 8);
    const attempt = summary.rejectSummaryLaunchAttempt as Array<{ reason: string; declined: number; processed: number }>;
    assert.equal(attempt.length, REASON_FUNNEL.length);
    assert.deepEqual(attempt[0], { reason: "UnfulfilledRole", declined: 3, processed: 10 });
    assert.deepEqual(attempt.find((r) => r.reason === "InsufficientCpus"), { reason: "InsufficientCpus", declined: 5, processed: 7 });
    assert.deepEqual(attempt.at(-1), { reason: "DeclinedScarceResources", declined: 0, processed: 2 });
  });

  test("a pod item is under `pod`; with lastUnusedOffers only the agents that do not fit are offers", () => {
    const item = marathonQueueItem({ ...explanation, pod: true }, { id: "/shop/web" }, { lastUnusedOffers: true });
    assert.equal(item.app, undefined);
    assert.deepEqual(item.pod, { id: "/shop/web" });
    assert.deepEqual(item.lastUnusedOffers, [marathonUnusedOffer(tight)]);
  });
});
