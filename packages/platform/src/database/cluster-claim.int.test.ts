import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { hasCode } from "../errors/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { openClusterDatabase } from "./database.ts";

let testDb: TestDatabase;
before(async () => {
  testDb = await createTestDatabase("claim");
});
after(() => testDb.drop());

test("a database serves the cluster that claimed it first, and refuses any other", async () => {
  const first = await openClusterDatabase(testDb.url, "alpha");
  await first.close();
  const again = await openClusterDatabase(testDb.url, "alpha");
  await again.close();
  await assert.rejects(
    openClusterDatabase(testDb.url, "beta"),
    (err: unknown) => hasCode(err, "FailedPrecondition") && /holds the event log of cluster "alpha", not "beta"/.test((err as Error).message),
  );
});

test("services of one cluster starting at once on a fresh database all start, with one log id", async () => {
  const fresh = await createTestDatabase("claim_race");
  try {
    const opened = await Promise.all(Array.from({ length: 8 }, () => openClusterDatabase(fresh.url, "gamma")));
    assert.equal(new Set(opened.map((d) => d.logId)).size, 1, "one log id for the database");
    await Promise.all(opened.map((d) => d.close()));
  } finally {
    await fresh.drop();
  }
});
