import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@gantry/platform/logging";
import { eventually } from "@gantry/platform/testing";
import type { HealthProbe, ProbeResult } from "../domain/index.ts";
import { ReadinessMonitor } from "./readiness-monitor.ts";

const probe = (name: string): HealthProbe => ({ name, kind: "http", port: 1, address: "loopback", path: "/ready", argv: [], ignoreHttp1xx: false, gracePeriodMs: 0, intervalMs: 5, timeoutMs: 1000, maxConsecutiveFailures: 0, delayMs: 0, passCodes: [200] });

test("a task is ready once every readiness check passed once; it is told once and probing stops", async () => {
  const answers: Record<string, ProbeResult[]> = {
    a: [{ outcome: "failed", cause: "HTTP 503" }, { outcome: "passed" }],
    b: [{ outcome: "failed", cause: "HTTP 503" }, { outcome: "failed", cause: "HTTP 503" }, { outcome: "passed" }],
  };
  const probed: string[] = [];
  const ready: string[] = [];
  const monitor = new ReadinessMonitor({
    probes: [probe("a"), probe("b")],
    prober: { probe: async (p) => (probed.push(p.name), answers[p.name]!.shift() ?? { outcome: "passed" }) },
    context: { sandbox: "/tmp", env: () => ({}), instanceIp: () => undefined, wrap: (argv) => argv },
    ready: (message) => ready.push(message),
    logger: createLogger("test", { level: "silent" }),
  });
  monitor.start();
  await eventually("ready", async () => (ready.length > 0 ? true : undefined), 5_000);
  assert.deepEqual(ready, ["ready: a, b passed"]);
  const count = probed.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(probed.length, count, "no probe after ready");
  assert.deepEqual(probed.filter((n) => n === "a"), ["a", "a"], "a passing check is not probed again");
});
