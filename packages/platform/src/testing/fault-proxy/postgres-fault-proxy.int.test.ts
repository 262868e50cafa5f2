import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../test-database.ts";
import { startPostgresFaultProxy, type PostgresFaultProxy } from "./postgres-fault-proxy.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONNECTION_LOST = /terminated|ECONNRESET|EPIPE|closed|not queryable/i;

describe("postgres fault proxy", () => {
  let db: TestDatabase;
  let direct: pg.Client;
  let proxy: PostgresFaultProxy;
  let nextId = 1;

  before(async () => {
    db = await createTestDatabase("faultproxy");
    direct = new pg.Client({ connectionString: db.url });
    await direct.connect();
    await direct.query("CREATE TABLE items (id int PRIMARY KEY)");
    const target = new URL(db.url);
    proxy = await startPostgresFaultProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
  });
  after(async () => {
    await proxy?.close();
    await direct?.end();
    await db?.drop();
  });

  async function viaProxy(): Promise<pg.Client> {
    // query_timeout: a proxy bug that swallows an answer fails the test instead of hanging it.
    const client = new pg.Client({ connectionString: proxy.url(db.url), query_timeout: 10_000 });
    client.on("error", () => {}); // the lost connection is also reported here; the test asserts on the query
    await client.connect();
    return client;
  }

  /** Opens a transaction through the proxy that inserts one row; returns its id and xid. */
  async function openTransaction(client: pg.Client): Promise<{ id: number; xid: string }> {
    const id = nextId++;
    await client.query("BEGIN");
    await client.query("INSERT INTO items (id) VALUES ($1)", [id]);
    const { rows } = await client.query<{ xid: string }>("SELECT pg_current_xact_id()::text AS xid");
    return { id, xid: rows[0]!.xid };
  }

  const rowExists = async (id: number) => (await direct.query("SELECT 1 FROM items WHERE id = $1", [id])).rowCount === 1;

  /** The transaction's final status, read directly; waits (with a deadline) while the server still has it in progress. */
  async function settledStatus(xid: string): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await direct.query<{ status: string }>("SELECT pg_xact_status($1::xid8) AS status", [xid]);
      const status = rows[0]!.status;
      if (status !== "in progress") return status;
      assert.ok(Date.now() < deadline, `transaction ${xid} still in progress after 10s`);
      await sleep(20);
    }
  }

  test("armCommitLoss: COMMIT reaches the server and commits, but the client loses its connection instead of the answer", async () => {
    const client = await viaProxy();
    const { id, xid } = await openTransaction(client);
    const before = { ...proxy.stats };
    proxy.armCommitLoss();
    await assert.rejects(client.query("COMMIT"), CONNECTION_LOST);
    assert.equal(await rowExists(id), true);
    assert.equal(await settledStatus(xid), "committed");
    assert.equal(proxy.stats.commitLossesFired, before.commitLossesFired + 1);
    assert.equal(proxy.stats.commitsSeen, before.commitsSeen + 1);
    await client.end().catch(() => {});
  });

  test("armCommitDrop: COMMIT never reaches the server, which rolls the transaction back; the client loses its connection", async () => {
    const client = await viaProxy();
    const { id, xid } = await openTransaction(client);
    const before = { ...proxy.stats };
    proxy.armCommitDrop();
    await assert.rejects(client.query("COMMIT"), CONNECTION_LOST);
    assert.equal(await settledStatus(xid), "aborted");
    assert.equal(await rowExists(id), false);
    assert.equal(proxy.stats.commitDropsFired, before.commitDropsFired + 1);
    await client.end().catch(() => {});
  });

  test("armCommitLoss also catches a COMMIT sent with the extended protocol (Parse/Bind/Execute/Sync)", async () => {
    const client = await viaProxy();
    const { id, xid } = await openTransaction(client);
    // node-postgres supports queryMode; @types/pg does not declare it.
    const extendedCommit: pg.QueryConfig & { queryMode: "extended" } = { text: "COMMIT", queryMode: "extended" };
    proxy.armCommitLoss();
    await assert.rejects(client.query(extendedCommit), CONNECTION_LOST);
    assert.equal(await settledStatus(xid), "committed");
    assert.equal(await rowExists(id), true);
    await client.end().catch(() => {});
  });

  test("a fault is one-shot and hits one COMMIT: the next transaction through the proxy commits normally", async () => {
    const victim = await viaProxy();
    const bystander = await viaProxy();
    const lost = await openTransaction(victim);
    proxy.armCommitDrop();
    await assert.rejects(victim.query("COMMIT"), CONNECTION_LOST);
    const kept = await openTransaction(bystander);
    await bystander.query("COMMIT");
    assert.equal(await rowExists(kept.id), true);
    assert.equal(await settledStatus(kept.xid), "committed");
    assert.equal(await settledStatus(lost.xid), "aborted");
    await bystander.end();
    await victim.end().catch(() => {});
  });

  test("cutAll drops every open connection (an open transaction rolls back); new connections work", async () => {
    const first = await viaProxy();
    const second = await viaProxy();
    const { id, xid } = await openTransaction(first);
    const cutsBefore = proxy.stats.cuts;
    proxy.cutAll();
    assert.ok(proxy.stats.cuts >= cutsBefore + 2);
    await assert.rejects(first.query("COMMIT"), CONNECTION_LOST);
    await assert.rejects(second.query("SELECT 1"), CONNECTION_LOST);
    assert.equal(await settledStatus(xid), "aborted");
    assert.equal(await rowExists(id), false);
    const fresh = await viaProxy();
    assert.deepEqual((await fresh.query("SELECT 1 AS one")).rows, [{ one: 1 }]);
    await fresh.end();
  });
});
