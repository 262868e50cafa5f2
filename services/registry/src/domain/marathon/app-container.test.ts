/**
 * Container rules checked against Marathon 1.4.12's own tests, with Marathon's paths
 * (`pathStyle: "marathon"`): persistent volumes (`state/Volume.scala`, `VolumeTest`,
 * `PersistentVolumeValidationTest`, `RunSpecValidatorTest`) and port mapping names
 * (`AppDefinitionTest`: `/container/portMappings`).
 */
import { describe, it } from "node:test";
import { validateApp, AppMessages } from "./app-validator.ts";
import { PersistentVolumeMessages as PV } from "./volume-messages.ts";
import { assertNoViolation, assertOk, assertViolation } from "./test-support.ts";

const OBJ = "Object is not valid" as const;
const MARATHON = { pathStyle: "marathon" } as const;

/** A resident app whose only volume is `volume` (a valid persistent volume by default). */
function resident(volume: Record<string, unknown> = {}, persistent: Record<string, unknown> = {}) {
  const vol = { containerPath: "data", mode: "RW", ...volume, persistent: { size: 10, ...persistent } };
  return { id: "/db", cmd: "x", container: { type: "MESOS", volumes: [vol] } };
}

describe("persistent volumes (Marathon's PersistentVolume / PersistentVolumeInfo validators)", () => {
  const cases: { name: string; volume?: Record<string, unknown>; persistent?: Record<string, unknown>; path: string; message: string }[] = [
    { name: "mode RO", volume: { mode: "RO" }, path: "/container/volumes(0)/mode", message: PV.modeRW },
    { name: "containerPath .", volume: { containerPath: "." }, path: "/container/volumes(0)/containerPath", message: PV.dotPath },
    { name: "containerPath ..", volume: { containerPath: ".." }, path: "/container/volumes(0)/containerPath", message: PV.dotPath },
    { name: "absolute containerPath", volume: { containerPath: "/path" }, path: "/container/volumes(0)/containerPath", message: PV.slash },
    { name: "containerPath with a slash", volume: { containerPath: "foo/bar" }, path: "/container/volumes(0)/containerPath", message: PV.slash },
    { name: "maxSize on a root volume", persistent: { maxSize: 20 }, path: "/container/volumes(0)/persistent", message: PV.maxSizeMountOnly },
    { name: "maxSize on a path volume", persistent: { type: "path", maxSize: 20 }, path: "/container/volumes(0)/persistent", message: PV.maxSizeMountOnly },
    { name: "maxSize equal to size", persistent: { type: "mount", maxSize: 10 }, path: "/container/volumes(0)/persistent", message: PV.maxSizeOrder },
    { name: "maxSize below size", persistent: { type: "mount", maxSize: 5 }, path: "/container/volumes(0)/persistent", message: PV.maxSizeOrder },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, () => assertViolation(validateApp(resident(c.volume, c.persistent), MARATHON), c.path, c.message, OBJ));
  }

  it("uses Marathon's exact wording", () => {
    assertViolation(validateApp(resident({ containerPath: "/path" }), MARATHON), "/container/volumes(0)/containerPath", 'value must not contain "/"');
    assertViolation(validateApp(resident({ mode: "RO" }), MARATHON), "/container/volumes(0)/mode", "does not equal RW");
  });

  const accepted: { name: string; volume?: Record<string, unknown>; persistent?: Record<string, unknown> }[] = [
    { name: "a plain relative containerPath", volume: { containerPath: "data" } },
    { name: "dots inside a name (foo..bar)", volume: { containerPath: "foo..bar" } },
    { name: "maxSize above size on a mount volume", persistent: { type: "mount", maxSize: 11 } },
  ];
  for (const c of accepted) it(`accepts ${c.name}`, () => void assertOk(validateApp(resident(c.volume, c.persistent), MARATHON)));

  it("does not apply the persistent rules to host volumes", () => {
    const host = { id: "/x", cmd: "x", container: { docker: { image: "i" }, volumes: [{ containerPath: "/var/a", hostPath: "/b", mode: "RO" }] } };
    assertOk(validateApp(host, MARATHON));
  });
});

describe("port mappings (Marathon reports Docker port mappings under /container/portMappings)", () => {
  const docker = (network: string, portMappings: unknown[]) => ({ id: "/x", cmd: "x", container: { docker: { image: "i", network, portMappings } } });
  const cases = [
    { network: "BRIDGE", names: ["foo", "foo"], unique: false },
    { network: "USER", names: ["foo", "foo"], unique: false },
    { network: "BRIDGE", names: ["foo", "bar"], unique: true },
  ];
  for (const c of cases) {
    it(`${c.network} ${c.names.join(",")}: ${c.unique ? "accepted" : "Port names must be unique."}`, () => {
      const r = validateApp(docker(c.network, c.names.map((name, i) => ({ containerPort: 8080 + i, hostPort: 0, name }))), MARATHON);
      if (c.unique) assertOk(r);
      else {
        assertViolation(r, "/container/portMappings", AppMessages.portNamesUnique, OBJ);
        assertNoViolation(r, "/container/docker/portMappings", AppMessages.portNamesUnique);
      }
    });
  }
});
