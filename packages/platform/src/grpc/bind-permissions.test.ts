import assert from "node:assert/strict";
import { test } from "node:test";
import { schedulerV1 } from "@gantry/proto";
import { onApps, RESOURCES, type Principal } from "../auth/index.ts";
import { GantryError } from "../errors/index.ts";
import { openToAuthenticated } from "../testing/open-permissions.ts";
import { bindService, type CallContext, type Permissions } from "./index.ts";

type Rules = Permissions<typeof schedulerV1.SchedulerService>;

function handlersCalled(calls: string[]) {
  const handlers: Record<string, unknown> = {};
  for (const m of schedulerV1.SchedulerService.methods) {
    handlers[m.localName] =
      m.methodKind === "server_streaming"
        ? async function* () {
            calls.push(m.localName);
            yield {};
          }
        : async () => (calls.push(m.localName), {});
  }
  return handlers as never;
}

function context(principal: Principal, warnings: unknown[]): CallContext {
  return { principal, metadata: {}, signal: new AbortController().signal, correlationId: "c", logger: { warn: (o: unknown) => warnings.push(o) } as never };
}

test("a handler runs only for a caller holding what its method's rule requires; a refusal is PermissionDenied, logged, and the handler never runs", async () => {
  const calls: string[] = [];
  const rules = { ...openToAuthenticated(schedulerV1.SchedulerService), resetLaunchDelay: (r) => onApps("update", r.id), watchTasks: () => ({ resource: RESOURCES.nodes, action: "read" }) } as Rules;
  const binding = bindService(schedulerV1.SchedulerService, handlersCalled(calls), rules);
  const warnings: unknown[] = [];
  const alice = context({ name: "alice", roles: [], grants: [onApps("full", "/team-a")] }, warnings);
  await binding.handlers.resetLaunchDelay!({ id: "/team-a/web" }, alice);
  await assert.rejects(binding.handlers.resetLaunchDelay!({ id: "/team-b/web" }, alice) as Promise<unknown>, (err: unknown) => err instanceof GantryError && err.code === "PermissionDenied" && /alice.*update gantry:apps:\/team-b\/web/.test(err.message));
  const stream = binding.handlers.watchTasks!({}, alice) as AsyncIterable<unknown>;
  await assert.rejects(async () => {
    for await (const _ of stream) break;
  }, (err: unknown) => err instanceof GantryError && err.code === "PermissionDenied");
  assert.deepEqual(calls, ["resetLaunchDelay"], "refused calls never reach their handler");
  assert.deepEqual(warnings.map((w) => (w as { denied: { resource: string } }).denied.resource), ["gantry:apps:/team-b/web", "gantry:nodes"]);
});

test("binding a service without a rule for every method fails", () => {
  const rules = openToAuthenticated(schedulerV1.SchedulerService) as Record<string, unknown>;
  delete rules.killTasks;
  assert.throws(() => bindService(schedulerV1.SchedulerService, handlersCalled([]), rules as Rules), /no permission rule for gantry\.scheduler\.v1\.SchedulerService\.KillTasks/);
});
