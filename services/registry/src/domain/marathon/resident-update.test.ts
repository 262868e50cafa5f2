/**
 * `residentUpdateIsValid` as Marathon 1.4.12's AppDefinitionValidationTest and
 * RunSpecValidatorTest ("Validation for update of resident apps") state it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateApp } from "./app-validator.ts";
import type { AppDefinition } from "./app.model.ts";
import { checkResidentUpdates, residentUpdateErrors, ResidentUpdateMessages as M } from "./resident-update.ts";
import { assertOk } from "./test-support.ts";

const vol = (containerPath: string, size = 1) => ({ containerPath, mode: "RW", persistent: { size } });
const app = (raw: Record<string, unknown>): AppDefinition => assertOk(validateApp({ id: "/db", cmd: "x", ...raw })).app;
const residentRaw = { container: { type: "MESOS", volumes: [vol("foo")] }, portDefinitions: [{ port: 0 }] };
const resident = app(residentRaw);
const withResident = (extra: Record<string, unknown>) => app({ ...residentRaw, ...extra });
const bridge = (hostPorts: (number | undefined)[], network = "BRIDGE") =>
  app({
    container: { type: "DOCKER", docker: { image: "db", network, portMappings: hostPorts.map((hostPort, i) => ({ containerPort: 80 + i, hostPort })) }, volumes: [vol("foo")] },
  });

describe("residentUpdateErrors (Marathon's residentUpdateIsValid)", () => {
  const cases: { name: string; to: AppDefinition; from?: AppDefinition; errors: string[] }[] = [
    { name: "itself", to: resident, errors: [] },
    { name: "a scale (instances only)", to: withResident({ instances: 3 }), errors: [] },
    { name: "a changed command", to: withResident({ cmd: "y" }), errors: [] },
    { name: "a changed persistent volume", to: withResident({ container: { type: "MESOS", volumes: [vol("foo", 2)] } }), errors: [M.volumes] },
    { name: "an added persistent volume", to: withResident({ container: { type: "MESOS", volumes: [vol("foo"), vol("bar")] } }), errors: [M.volumes] },
    { name: "a renamed persistent volume", to: withResident({ container: { type: "MESOS", volumes: [vol("bar")] } }), errors: [M.volumes] },
    { name: "cpus", to: withResident({ cpus: 3 }), errors: [M.resources] },
    { name: "mem", to: withResident({ mem: 3 }), errors: [M.resources] },
    { name: "disk", to: withResident({ disk: 3 }), errors: [M.resources] },
    { name: "gpus", to: withResident({ gpus: 3 }), errors: [M.resources] },
    { name: "no port any more", to: withResident({ portDefinitions: [] }), errors: [M.resources] },
    { name: "a different port (requirePorts false)", to: withResident({ portDefinitions: [{ port: 1 }] }), errors: [M.resources] },
    { name: "requirePorts", to: withResident({ requirePorts: true }), errors: [M.resources] },
    { name: "ports given in another order (a set)", from: withResident({ portDefinitions: [{ port: 1 }, { port: 2 }] }), to: withResident({ portDefinitions: [{ port: 2 }, { port: 1 }] }), errors: [] },
    { name: "a changed mapping host port", from: bridge([31000]), to: bridge([31001]), errors: [M.resources] },
    { name: "a changed container port, same host port", from: bridge([31000]), to: app({ container: { type: "DOCKER", docker: { image: "db", network: "BRIDGE", portMappings: [{ containerPort: 90, hostPort: 31000 }] }, volumes: [vol("foo")] } }), errors: [] },
    { name: "USER mappings without host ports", from: bridge([undefined], "USER"), to: bridge([undefined, undefined], "USER"), errors: [] },
    { name: "resources and volumes at once", to: withResident({ cpus: 2, container: { type: "MESOS", volumes: [] } }), errors: [M.volumes, M.resources] },
    { name: "a plain app becoming resident", from: app({}), to: app({ container: { type: "MESOS", volumes: [vol("foo")] } }), errors: [M.volumes] },
    { name: "a plain app changing cpus", from: app({}), to: app({ cpus: 2 }), errors: [] },
  ];
  for (const c of cases) {
    it(`${c.errors.length === 0 ? "allows" : "refuses"} ${c.name}`, () => assert.deepEqual(residentUpdateErrors(c.from ?? resident, c.to), c.errors));
  }
  it("uses Marathon's exact messages", () =>
    assert.deepEqual([M.volumes, M.resources], ["Persistent volumes can not be changed!", "Resident Tasks may not change resource requirements!"]));
});

describe("checkResidentUpdates (Marathon's deployment plan validator)", () => {
  const other = assertOk(validateApp({ id: "/web", cmd: "x" })).app;
  const current = new Map([["/db", resident], ["/web", other]]);
  it("reports at /app(i), i the index among the deployment's created or updated apps", () => {
    const updated = [assertOk(validateApp({ id: "/new", cmd: "x" })).app, withResident({ cpus: 2 })];
    assert.deepEqual(checkResidentUpdates(current, updated, "marathon"), [{ path: "/app(1)", errors: [M.resources] }]);
    assert.deepEqual(checkResidentUpdates(current, updated), [{ path: "/app/1", errors: [M.resources] }]);
  });
  it("passes new apps and allowed changes", () =>
    assert.deepEqual(checkResidentUpdates(current, [withResident({ instances: 2 }), { ...other, cpus: 4 }], "marathon"), []));
});
