import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { registryV1, registryV1App, registryV1RunSpec, schedulerV1, schedulerV1Model } from "@gantry/proto";
import { enumLabel } from "./enum-labels.ts";
import { messageJson } from "./message-json.ts";

const { ConstraintOperator, HealthCheckProtocol, KillSelection, NetworkMode, RunSpecKind } = registryV1RunSpec;

describe("messageJson: --json says what the tables say", () => {
  test("enums deep inside a message carry Marathon's and Mesos' names; a definition's own JSON passes through", () => {
    const app = create(registryV1App.AppVersionSchema, {
      id: "/shop/web",
      definition: { id: "/shop/web", note: "TASK_STATE_RUNNING" },
      runSpec: {
        kind: RunSpecKind.APP,
        killSelection: KillSelection.OLDEST_FIRST,
        placement: { constraints: [{ field: "hostname", operator: ConstraintOperator.GROUP_BY, value: "2" }] },
        networks: [{ mode: NetworkMode.CONTAINER_BRIDGE }, { mode: NetworkMode.CONTAINER, name: "dcos" }],
        containers: [{ name: "web", healthChecks: [{ protocol: HealthCheckProtocol.MESOS_HTTP, endpointIndex: 0 }, { protocol: HealthCheckProtocol.COMMAND, endpointIndex: -1 }] }],
      },
    });
    const json = messageJson(registryV1App.AppVersionSchema, app) as Record<string, any>;
    assert.equal(json.runSpec.kind, "app");
    assert.equal(json.runSpec.killSelection, "OLDEST_FIRST");
    assert.equal(json.runSpec.placement.constraints[0].operator, "GROUP_BY");
    assert.deepEqual(json.runSpec.networks, [{ mode: "container/bridge" }, { mode: "container", name: "dcos" }]);
    assert.deepEqual(json.runSpec.containers[0].healthChecks, [{ protocol: "MESOS_HTTP", endpointIndex: 0 }, { protocol: "COMMAND" }], "endpoint 0 is one; -1 is none");
    assert.deepEqual(json.definition, { id: "/shop/web", note: "TASK_STATE_RUNNING" });
  });

  test("a task: TASK_ names, exitCode only when known (0 included), optional health kept", () => {
    const listed = (exitCode: number) => create(schedulerV1.ListTasksResponseSchema, { tasks: [{ taskId: "t", state: schedulerV1Model.TaskState.FAILED, exitCode, healthy: false }] });
    const json = (exitCode: number) => (messageJson(schedulerV1.ListTasksResponseSchema, listed(exitCode)).tasks as Record<string, unknown>[])[0]!;
    assert.deepEqual(json(-1), { taskId: "t", state: "TASK_FAILED", healthy: false });
    assert.deepEqual(json(0), { taskId: "t", state: "TASK_FAILED", healthy: false, exitCode: 0 });
    assert.equal(json(137).exitCode, 137);
  });

  test("an agent gets the state the table shows", () => {
    const agent = (init: { active?: boolean; draining?: boolean }) =>
      (messageJson(schedulerV1.DrainAgentResponseSchema, create(schedulerV1.DrainAgentResponseSchema, { agent: { agentId: "a", ...init } })).agent as Record<string, unknown>).state;
    assert.deepEqual([agent({ active: true }), agent({ active: true, draining: true }), agent({ active: false })], ["active", "draining", "lost"]);
  });

  test("the answer's own lists are [] when empty; nested empty lists stay left out", () => {
    assert.deepEqual(messageJson(registryV1.ListDeploymentsResponseSchema, create(registryV1.ListDeploymentsResponseSchema)), { deployments: [] });
    const parked = messageJson(schedulerV1.ListParkedMessagesResponseSchema, create(schedulerV1.ListParkedMessagesResponseSchema));
    assert.deepEqual(parked, { consumers: [], recent: [] });
    const listed = messageJson(registryV1.ListDeploymentsResponseSchema, create(registryV1.ListDeploymentsResponseSchema, { deployments: [{ id: "d" }] }));
    assert.deepEqual(listed, { deployments: [{ id: "d" }] });
  });
});

describe("enumLabel", () => {
  test("placement checks as the debug table names them; deployment states in lower case; an unknown number as itself", () => {
    const { PlacementDimension: D } = schedulerV1;
    assert.deepEqual(
      [D.ROLE, D.CONSTRAINT, D.MAINTENANCE, D.CPUS, D.MEM, D.DISK, D.GPUS, D.PORTS].map((d) => enumLabel(schedulerV1.PlacementDimensionSchema, d)),
      ["ROLE", "CONSTRAINT", "MAINTENANCE", "CPU", "MEM", "DISK", "GPU", "PORT"],
    );
    assert.equal(enumLabel(registryV1.DeploymentStateSchema, registryV1.DeploymentState.SUCCEEDED), "succeeded");
    assert.equal(enumLabel(schedulerV1Model.TaskStateSchema, schedulerV1Model.TaskState.UNREACHABLE), "TASK_UNREACHABLE");
    assert.equal(enumLabel(schedulerV1Model.TaskStateSchema, 99), "99");
  });
});
