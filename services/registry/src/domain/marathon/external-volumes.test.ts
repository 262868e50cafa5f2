/**
 * External (DVDI) volumes checked against Marathon 1.4.12 (`state/Volume.scala`,
 * `core/externalvolume/impl/providers/DVDIProvider.scala`, `OptionSupport.scala`) and its tests
 * (`AppsResourceTest` "external volume" cases, `DVDIProviderVolumeValidationTest`,
 * `DVDIProviderRootGroupValidationTest`), with Marathon's paths (`pathStyle: "marathon"`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateApp } from "./app-validator.ts";
import { PersistentVolumeMessages as PV } from "./volume-messages.ts";
import { ExternalVolumeMessages as EV } from "./external-volumes.ts";
import { featureNotEnabled } from "./field-validators.ts";
import { checkGroupTree, type GroupDefinition } from "./group-validator.ts";
import { assertNoViolation, assertOk, assertViolation } from "./test-support.ts";

const OBJ = "Object is not valid" as const;
const MARATHON = { pathStyle: "marathon" } as const;
const V0 = "/container/volumes(0)";

type Json = Record<string, unknown>;

/** A `dvdi` volume (driver rexray) with `external` fields and volume fields over the defaults. */
function dvdi(external: Json = {}, volume: Json = {}): Json {
  return { containerPath: "data", mode: "RW", ...volume, external: { name: "vol", provider: "dvdi", options: { "dvdi/driver": "rexray" }, ...external } };
}
const withOptions = (options: Record<string, string>, volume: Json = {}) => dvdi({ options: { "dvdi/driver": "rexray", ...options } }, volume);

/** An app (Marathon's `createAppWithVolumes`: one instance, upgrade {0, 0}) with a MESOS or DOCKER container. */
function appWith(type: "MESOS" | "DOCKER", volumes: Json[], extra: Json = {}): Json {
  const docker = type === "DOCKER" ? { docker: { image: "fop" } } : {};
  return { id: "/external1", cmd: "sleep 100", instances: 1, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 }, container: { type, ...docker, volumes }, ...extra };
}

interface Refused {
  name: string;
  app: Json;
  path: string;
  message: string;
  features?: string[];
}

function refuses(cases: Refused[]): void {
  for (const c of cases) {
    it(`refuses ${c.name}: ${c.path} ${c.message}`, () => {
      const options = c.features === undefined ? MARATHON : { ...MARATHON, features: c.features };
      assertViolation(validateApp(c.app, options), c.path, c.message, OBJ);
    });
  }
}

function accepts(cases: { name: string; app: Json }[]): void {
  for (const c of cases) it(`accepts ${c.name}`, () => void assertOk(validateApp(c.app, MARATHON)));
}

describe("external volumes: the volume (ExternalVolume, ExternalVolumeInfo, DVDIProviderValidations.volume)", () => {
  const mesos = (v: Json) => appWith("MESOS", [v]);
  refuses([
    { name: "an unknown provider", app: mesos(dvdi({ provider: "acme" })), path: `${V0}/external/provider`, message: EV.unknownProvider },
    { name: "an empty provider (unknown)", app: mesos(dvdi({ provider: "" })), path: `${V0}/external/provider`, message: EV.unknownProvider },
    { name: "an empty provider (not a label)", app: mesos(dvdi({ provider: "" })), path: `${V0}/external/provider`, message: EV.label },
    { name: "provider DVDI (case matters)", app: mesos(dvdi({ provider: "DVDI" })), path: `${V0}/external/provider`, message: EV.unknownProvider },
    { name: "an empty name (dvdi)", app: mesos(dvdi({ name: "" })), path: `${V0}/external/name`, message: "must not be empty" },
    { name: "an empty name (not a label)", app: mesos(dvdi({ name: "" })), path: `${V0}/external/name`, message: EV.label },
    { name: "a name that is not a label", app: mesos(dvdi({ name: "Vol_1" })), path: `${V0}/external/name`, message: EV.label },
    { name: "size 0", app: mesos(dvdi({ size: 0 })), path: `${V0}/external/size`, message: "got 0, expected more than 0" },
    { name: "no options (no driver)", app: mesos(dvdi({ options: {} })), path: `${V0}/external/options("dvdi/driver")`, message: EV.notDefined },
    { name: "a misspelt driver option", app: mesos(dvdi({ options: { "dvdi/driverNam": "rexray" } })), path: `${V0}/external/options("dvdi/driver")`, message: EV.notDefined },
    { name: "an empty driver", app: mesos(dvdi({ options: { "dvdi/driver": "" } })), path: `${V0}/external/options("dvdi/driver")`, message: EV.label },
    { name: "a driver that is not a label", app: mesos(dvdi({ options: { "dvdi/driver": "Rex Ray" } })), path: `${V0}/external/options("dvdi/driver")`, message: EV.label },
    { name: "an option key without namespace", app: mesos(withOptions({ driver: "bar" })), path: `${V0}/external/optionskeys`, message: EV.optionKey },
    { name: "an option key with an empty name", app: mesos(withOptions({ "dvdi/": "x" })), path: `${V0}/external/optionskeys`, message: EV.optionKey },
    { name: "rexray volumetype with a space", app: mesos(withOptions({ "dvdi/volumetype": "io1 " })), path: `${V0}/external/options("dvdi/volumetype")`, message: EV.label },
    { name: "rexray newfstype with a space", app: mesos(withOptions({ "dvdi/newfstype": " xfs" })), path: `${V0}/external/options("dvdi/newfstype")`, message: EV.label },
    { name: "rexray empty newfstype", app: mesos(withOptions({ "dvdi/newfstype": "" })), path: `${V0}/external/options("dvdi/newfstype")`, message: EV.label },
    { name: "rexray iops 0", app: mesos(withOptions({ "dvdi/iops": "0" })), path: `${V0}/external/options("dvdi/iops")`, message: "Expected a valid, positive integer instead of 0" },
    { name: "rexray iops b", app: mesos(withOptions({ "dvdi/iops": "b" })), path: `${V0}/external/options("dvdi/iops")`, message: EV.naturalNumber("b") },
    { name: "rexray iops -1", app: mesos(withOptions({ "dvdi/iops": "-1" })), path: `${V0}/external/options("dvdi/iops")`, message: EV.naturalNumber("-1") },
    { name: "rexray iops 1.5", app: mesos(withOptions({ "dvdi/iops": "1.5" })), path: `${V0}/external/options("dvdi/iops")`, message: EV.naturalNumber("1.5") },
    { name: "rexray iops beyond a long", app: mesos(withOptions({ "dvdi/iops": "9223372036854775808" })), path: `${V0}/external/options("dvdi/iops")`, message: EV.naturalNumber("9223372036854775808") },
    { name: "rexray overwritefs b", app: mesos(withOptions({ "dvdi/overwritefs": "b" })), path: `${V0}/external/options("dvdi/overwritefs")`, message: "Expected a valid boolean" },
    { name: "rexray overwritefs false (1.4.12 tests toBoolean itself)", app: mesos(withOptions({ "dvdi/overwritefs": "false" })), path: `${V0}/external/options("dvdi/overwritefs")`, message: EV.boolean },
    { name: "external volumes with the feature off", app: mesos(dvdi()), path: V0, message: featureNotEnabled("external_volumes"), features: [] },
  ]);
  accepts([
    { name: "a dvdi volume with size (MESOS, AppsResourceTest)", app: mesos(dvdi({ size: 10, name: "namedfoo", options: { "dvdi/driver": "bar" } })) },
    { name: "rexray options with valid values", app: mesos(withOptions({ "dvdi/volumetype": "io1", "dvdi/newfstype": "xfs", "dvdi/iops": "1", "dvdi/overwritefs": "true" })) },
    { name: "iops +7 and overwritefs TRUE (Java's parseLong, Scala's toBoolean)", app: mesos(withOptions({ "dvdi/iops": "+7", "dvdi/overwritefs": "TRUE" })) },
    { name: "a label with a final newline (Java's $)", app: mesos(withOptions({ "dvdi/volumetype": "io1\n" })) },
    { name: "other drivers' options unchecked", app: mesos(dvdi({ options: { "dvdi/driver": "bar", "dvdi/iops": "0", "dvdi/overwritefs": "false" } })) },
    { name: "namespaced option keys (a/b.c:d)", app: mesos(withOptions({ "a/b.c:d": "x" })) },
  ]);
  it("reports only the unknown provider's generic rules (no driver, name or container rules)", () => {
    const r = validateApp(appWith("MESOS", [dvdi({ provider: "acme", options: {} }, { containerPath: "/abs", mode: "RO" })], { instances: 3 }), MARATHON);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.violations, [{ path: `${V0}/external/provider`, errors: [EV.unknownProvider] }]);
  });
});

describe("external volumes: the app (DVDIProviderValidations.app)", () => {
  refuses([
    { name: "two instances", app: appWith("MESOS", [dvdi()], { instances: 2 }), path: "/", message: EV.oneInstance("/external1") },
    { name: "a volume name declared twice", app: appWith("MESOS", [dvdi(), dvdi({}, { containerPath: "other" })]), path: "/", message: EV.declaredTwice("vol", "/external1") },
    { name: "MESOS: mode RO", app: appWith("MESOS", [dvdi({}, { mode: "RO" })]), path: `${V0}/mode`, message: PV.modeRW },
    { name: "MESOS: an absolute containerPath", app: appWith("MESOS", [dvdi({}, { containerPath: "/var" })]), path: `${V0}/containerPath`, message: EV.mesosNoSlashes },
    { name: "MESOS: a nested containerPath", app: appWith("MESOS", [dvdi({}, { containerPath: "var/child" })]), path: `${V0}/containerPath`, message: EV.mesosNoSlashes },
    { name: "MESOS: containerPath .", app: appWith("MESOS", [dvdi({}, { containerPath: "." })]), path: `${V0}/containerPath`, message: PV.dotPath },
    { name: "MESOS with a Docker image: containerPath ..", app: { ...appWith("MESOS", [dvdi({}, { containerPath: ".." })]), container: { type: "MESOS", docker: { image: "i" }, volumes: [dvdi({}, { containerPath: ".." })] } }, path: `${V0}/containerPath`, message: PV.dotPath },
    { name: "DOCKER: a size", app: appWith("DOCKER", [dvdi({ size: 42 }, { containerPath: "/var" })]), path: `${V0}/external/size`, message: EV.dockerSize },
    { name: "DOCKER: an option besides the driver", app: appWith("DOCKER", [withOptions({ "dvdi/volumetype": "io1" }, { containerPath: "/var" })]), path: `${V0}/external/options`, message: EV.dockerOnlyDriver },
    { name: "DOCKER: containerPath ..", app: appWith("DOCKER", [dvdi({}, { containerPath: ".." })]), path: `${V0}/containerPath`, message: PV.dotPath },
    { name: "an upgrade strategy with over-capacity", app: appWith("MESOS", [dvdi()], { upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5 } }), path: "/upgradeStrategy/maximumOverCapacity", message: "got 0.5, expected 0.0" },
  ]);
  accepts([
    { name: "DOCKER: an absolute containerPath", app: appWith("DOCKER", [dvdi({ name: "namedfoo", options: { "dvdi/driver": "bar" } }, { containerPath: "/var" })]) },
    { name: "DOCKER: a relative containerPath (Mesos 1.0)", app: appWith("DOCKER", [dvdi({}, { containerPath: "relative/path" })]) },
    { name: "DOCKER: mode RO", app: appWith("DOCKER", [dvdi({}, { containerPath: "/var", mode: "RO" })]) },
    { name: "DOCKER: an external and a host volume", app: appWith("DOCKER", [dvdi({}, { containerPath: "/var" }), { hostPath: "/ert", containerPath: "/ert", mode: "RW" }]) },
    { name: "a host volume named like the external one (unfortunately, says Marathon)", app: appWith("DOCKER", [dvdi({ name: "namedfoo" }, { containerPath: "/var" }), { hostPath: "namedfoo", containerPath: "/ert", mode: "RW" }]) },
    { name: "no instances", app: appWith("MESOS", [dvdi()], { instances: 0 }) },
    { name: "the default upgrade strategy of apps with external volumes", app: { ...appWith("MESOS", [dvdi()]), upgradeStrategy: undefined } },
  ]);
  it("indexes volumes among the external ones (Marathon collects them first)", () => {
    const r = validateApp(appWith("MESOS", [{ hostPath: "/h", containerPath: "/h", mode: "RO" }, dvdi({}, { containerPath: "/var" })]), MARATHON);
    assertViolation(r, `${V0}/containerPath`, EV.mesosNoSlashes, OBJ);
    assertNoViolation(r, "/container/volumes(1)/containerPath", EV.mesosNoSlashes);
  });
  it("names the app's id in the instance message (Marathon prints the app's Scala toString)", () =>
    assertViolation(validateApp(appWith("MESOS", [dvdi()], { id: "/a/b", instances: 5 }), MARATHON), "/", "Number of instances is limited to 1 when declaring DVDI volumes in app [/a/b]"));
});

describe("external volumes: the tree (DVDIProviderValidations.rootGroup)", () => {
  const app = (id: string, name: string) => assertOk(validateApp(appWith("MESOS", [dvdi({ name })], { id }))).app;
  const tree = (apps: ReturnType<typeof app>[]): GroupDefinition => ({
    id: "/",
    apps: [],
    pods: [],
    dependencies: [],
    groups: [{ id: "/nested", apps, pods: [], groups: [], dependencies: [] }],
  });
  it("accepts two volumes with different names", () => assert.deepEqual(checkGroupTree(tree([app("/nested/foo1", "vol1"), app("/nested/foo2", "vol2")]), "marathon"), []));
  it("refuses two apps with a volume of the same name, at each app's volume", () =>
    assert.deepEqual(checkGroupTree(tree([app("/nested/app1", "vol"), app("/nested/app2", "vol")]), "marathon"), [
      { path: "/groups(0)/apps(0)/externalVolumes(0)", errors: ["Volume name 'vol' in /nested/app1 conflicts with volume(s) of same name in app(s): /nested/app2"] },
      { path: "/groups(0)/apps(1)/externalVolumes(0)", errors: ["Volume name 'vol' in /nested/app2 conflicts with volume(s) of same name in app(s): /nested/app1"] },
    ]));
  it("refuses an app with a DVDI volume scaled above one instance by a change of its group (scaleBy)", () => {
    const scaled = { ...app("/nested/solo", "vol"), instances: 2 };
    assert.deepEqual(checkGroupTree(tree([scaled]), "marathon"), [{ path: "/groups(0)/apps(0)", errors: ["Number of instances is limited to 1 when declaring DVDI volumes in app [/nested/solo]"] }]);
  });
  it("names every other app, in id order, and indexes root apps under /apps", () => {
    const root = tree([app("/nested/b", "vol"), app("/nested/c", "vol")]);
    root.apps.push(app("/z", "vol"));
    assert.deepEqual(checkGroupTree(root, "marathon"), [
      { path: "/apps(0)/externalVolumes(0)", errors: ["Volume name 'vol' in /z conflicts with volume(s) of same name in app(s): /nested/b, /nested/c"] },
      { path: "/groups(0)/apps(0)/externalVolumes(0)", errors: ["Volume name 'vol' in /nested/b conflicts with volume(s) of same name in app(s): /nested/c, /z"] },
      { path: "/groups(0)/apps(1)/externalVolumes(0)", errors: ["Volume name 'vol' in /nested/c conflicts with volume(s) of same name in app(s): /nested/b, /z"] },
    ]);
  });
});
