/**
 * Gantry's own bounds (Marathon 1.4 has none of them): each at its limit is accepted, one past
 * it is refused at its path with its message.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateApp } from "./app-validator.ts";
import { validatePod } from "./pod-validator.ts";
import { GANTRY_LIMITS as L, LimitMessages } from "./limits.ts";
import { assertOk, assertOnlyViolations } from "./test-support.ts";

const OBJ = "Object is not valid" as const;
const MARATHON = { pathStyle: "marathon" } as const;
const app = (extra: Record<string, unknown> = {}) => ({ id: "/web", cmd: "sleep 1", ...extra });
const pod = (id: string) => ({ id, containers: [{ name: "main", exec: { command: { shell: "sleep 1" } } }], networks: [{ mode: "host" }] });
const seg = (n: number, c = "a") => c.repeat(n);
const entries = (n: number, value = (i: number) => `v${i}`) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, value(i)]));
const list = (n: number, item: (i: number) => unknown = (i) => `a${i}`) => Array.from({ length: n }, (_, i) => item(i));

describe("GANTRY_LIMITS", () => {
  it("holds the documented values", () =>
    assert.deepEqual(L, { idSegmentLength: 63, labels: 256, labelKeyLength: 128, labelValueLength: 4096, envEntries: 1024, envValueBytes: 32768, args: 1024, fetch: 128 }));
});

describe("id segments fit a DNS label (apps and pods)", () => {
  const long = seg(64);
  const cases: { name: string; result: () => ReturnType<typeof validateApp> | ReturnType<typeof validatePod>; segment: string }[] = [
    { name: "app, last segment", result: () => validateApp(app({ id: `/shop/${long}` })), segment: long },
    { name: "app, group segment", result: () => validateApp(app({ id: `/${long}/web` })), segment: long },
    { name: "app, relative id in a long group", result: () => validateApp(app({ id: "web" }), { parentGroup: `/${long}` }), segment: long },
    { name: "app, dotted segment", result: () => validateApp(app({ id: `/${seg(32)}.${seg(31)}` })), segment: `${seg(32)}.${seg(31)}` },
    { name: "pod", result: () => validatePod(pod(`/${long}`)), segment: long },
  ];
  for (const c of cases) {
    it(`refuses a 64-character segment: ${c.name}`, () => {
      const r = c.result();
      assertOnlyViolations(r, [{ path: "/id", errors: [LimitMessages.idSegment(c.segment)] }]);
      assert.equal(r.ok === false && r.message, OBJ);
    });
  }
  it("names the field and the bound, and abbreviates the segment", () => {
    assert.equal(LimitMessages.idSegment(long), `id segment '${seg(63)}…' is 64 characters long; each id segment may have at most 63 (a DNS label)`);
  });
  it("accepts 63-character segments", () => {
    assertOk(validateApp(app({ id: `/${seg(63)}/${seg(63, "b")}` })));
    assertOk(validatePod(pod(`/${seg(63)}`)));
  });
});

describe("app bounds", () => {
  const refused: { name: string; body: Record<string, unknown>; path: string; message: string }[] = [
    { name: "257 labels", body: app({ labels: entries(257) }), path: "/labels", message: "labels may have at most 256 entries, got 257" },
    { name: "a 129-character label key", body: app({ labels: { [seg(129, "k")]: "v" } }), path: `/labels/${seg(129, "k")}`, message: LimitMessages.labelKey(seg(129, "k")) },
    { name: "a 4097-character label value", body: app({ labels: { k: seg(4097) } }), path: "/labels/k", message: "label value is 4097 characters long; at most 4096 are allowed" },
    { name: "1025 env entries", body: app({ env: entries(1025) }), path: "/env", message: "env may have at most 1024 entries, got 1025" },
    { name: "an env value over 32 KiB", body: app({ env: { BIG: seg(32769) } }), path: "/env/BIG", message: "env value is 32769 bytes long; at most 32768 (32 KiB) are allowed" },
    { name: "an env value over 32 KiB in UTF-8 bytes", body: app({ env: { BIG: seg(16385, "é") } }), path: "/env/BIG", message: LimitMessages.envValue(32770) },
    { name: "1025 args", body: { id: "/web", args: list(1025) }, path: "/args", message: "args may have at most 1024 entries, got 1025" },
    { name: "129 fetch entries", body: app({ fetch: list(129, (i) => ({ uri: `http://x/${i}` })) }), path: "/fetch", message: "fetch may have at most 128 entries, got 129" },
    { name: "129 uris", body: app({ uris: list(129, (i) => `http://x/${i}`) }), path: "/uris", message: "uris may have at most 128 entries, got 129" },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}`, () => {
      const r = validateApp(c.body, MARATHON);
      assertOnlyViolations(r, [{ path: c.path, errors: [c.message] }]);
      assert.equal(r.ok === false && r.message, OBJ);
    });
  }

  it("accepts every bound exactly", () => {
    assertOk(validateApp(app({ labels: { ...entries(255), [seg(128, "k")]: seg(4096) } })));
    assertOk(validateApp(app({ env: { ...entries(1023), BIG: seg(16384, "é") } })));
    assertOk(validateApp({ id: "/web", args: list(1024) }));
    assertOk(validateApp(app({ fetch: list(128, (i) => ({ uri: `http://x/${i}` })) })));
    assertOk(validateApp(app({ uris: list(128, (i) => `http://x/${i}`) })));
  });

  it("does not count secret references as env values", () =>
    void assertOk(validateApp(app({ env: { PW: { secret: "pw" } }, secrets: { pw: { source: seg(40000) } } }), { features: ["secrets"] })));
});
