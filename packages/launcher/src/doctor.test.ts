import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDoctorCheck } from "./doctor.ts";

test("a passed check is one line; a failed one says FAIL and, on the next line, what to do", () => {
  assert.equal(formatDoctorCheck({ name: "NATS", ok: true, detail: "127.0.0.1:4222, JetStream enabled" }), "ok    NATS        127.0.0.1:4222, JetStream enabled");
  assert.equal(
    formatDoctorCheck({ name: "gateway", ok: false, detail: "no cluster file", fix: "gantry up --detach" }),
    "FAIL  gateway     no cluster file\n                  → gantry up --detach",
  );
});
