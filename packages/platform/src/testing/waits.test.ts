import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { eventually, writtenText } from "./waits.ts";

test("writtenText is not yet while the file is missing or empty (a shell's `>` made it), then its text", () => {
  const dir = mkdtempSync(join(tmpdir(), "gantry-waits-"));
  try {
    const file = join(dir, "out");
    assert.equal(writtenText(file), undefined);
    writeFileSync(file, "");
    assert.equal(writtenText(file), undefined);
    writeFileSync(file, "1 1\n");
    assert.equal(writtenText(file), "1 1\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("eventually returns the probe's first value that is neither undefined nor false, and names what it waited for at the deadline", async () => {
  let n = 0;
  assert.equal(await eventually("a third call", () => (++n === 3 ? "third" : false), 1_000, 1), "third");
  await assert.rejects(eventually("nothing", () => undefined, 20, 5), /timed out after 20 ms waiting for nothing/);
});
