import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { listLocalClusters, localClusterName, resolveClientConfig } from "./client-config.ts";

let home: string;

/** A folder under GANTRY_HOME, with a cluster file as `gantry up` writes it unless `withFile` is false. */
async function addCluster(name: string, port: number, withFile = true): Promise<void> {
  await mkdir(path.join(home, name), { recursive: true });
  if (withFile) await writeFile(path.join(home, name, "cluster.json"), JSON.stringify({ url: `http://127.0.0.1:${port}`, token: `token-${name}` }));
}

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), "gantry-home-"));
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe("local clusters", () => {
  test("listLocalClusters: every folder with a cluster file, by name; none without GANTRY_HOME", async () => {
    assert.deepEqual(listLocalClusters({ GANTRY_HOME: path.join(home, "missing") }), []);
    await addCluster("stale", 0, false);
    await addCluster("zeta", 9002);
    await addCluster("alpha", 9001);
    assert.deepEqual(listLocalClusters({ GANTRY_HOME: home }), [
      { name: "alpha", url: "http://127.0.0.1:9001", token: "token-alpha" },
      { name: "zeta", url: "http://127.0.0.1:9002", token: "token-zeta" },
    ]);
  });

  test("localClusterName: --cluster, else GANTRY_CLUSTER, else the one local cluster, else gantry", async () => {
    assert.equal(localClusterName({ GANTRY_HOME: home }), "gantry");
    await addCluster("stale", 0, false);
    assert.equal(localClusterName({ GANTRY_HOME: home }), "gantry", "a folder without a cluster file is no running cluster");
    await addCluster("demo", 9001);
    assert.equal(localClusterName({ GANTRY_HOME: home }), "demo");
    assert.equal(localClusterName({ GANTRY_HOME: home, GANTRY_CLUSTER: "other" }), "other");
    assert.equal(localClusterName({ GANTRY_HOME: home, GANTRY_CLUSTER: "other" }, "flag"), "flag");
    await addCluster("second", 9002);
    assert.equal(localClusterName({ GANTRY_HOME: home }), "gantry", "two local clusters: no guess");
  });
});

describe("resolveClientConfig", () => {
  test("the only local cluster, with its own token; none: say to run gantry up or set GANTRY_URL", async () => {
    assert.throws(() => resolveClientConfig({ GANTRY_HOME: home }), /^GantryError: no Gantry cluster: run `gantry up`, or set GANTRY_URL/);
    await addCluster("demo", 9001);
    assert.deepEqual(resolveClientConfig({ GANTRY_HOME: home }), { url: "http://127.0.0.1:9001", grpcTarget: "127.0.0.1:9001", token: "token-demo" });
  });

  test("several local clusters: fail naming them unless --cluster or GANTRY_CLUSTER picks one", async () => {
    await addCluster("a", 9001);
    await addCluster("b", 9002);
    assert.throws(() => resolveClientConfig({ GANTRY_HOME: home }), { message: "2 local clusters run here (a, b): say which with --cluster NAME or GANTRY_CLUSTER (see `gantry cluster list`)" });
    assert.equal(resolveClientConfig({ GANTRY_HOME: home }, "b").token, "token-b");
    assert.equal(resolveClientConfig({ GANTRY_HOME: home, GANTRY_CLUSTER: "a" }).token, "token-a");
    assert.throws(() => resolveClientConfig({ GANTRY_HOME: home }, "c"), /no local cluster "c" \(--cluster\): .*; local clusters: a, b\. Start it with `gantry up --cluster c`/);
    assert.throws(() => resolveClientConfig({ GANTRY_HOME: home, GANTRY_CLUSTER: "c" }), /no local cluster "c" \(GANTRY_CLUSTER\)/);
  });

  test("GANTRY_URL with GANTRY_TOKEN wins over GANTRY_CLUSTER; --cluster wins over both and uses its own token", async () => {
    await addCluster("a", 9001);
    const env = { GANTRY_HOME: home, GANTRY_URL: "http://gw.example:8080/ignored/path", GANTRY_TOKEN: "t", GANTRY_CLUSTER: "missing" };
    assert.deepEqual(resolveClientConfig(env), { url: "http://gw.example:8080", grpcTarget: "gw.example:8080", token: "t" });
    assert.deepEqual(resolveClientConfig(env, "a"), { url: "http://127.0.0.1:9001", grpcTarget: "127.0.0.1:9001", token: "token-a" });
  });

  test("a login kept for a gateway stands for its user there (GANTRY_TOKEN still goes first); an expired one does not", async () => {
    await addCluster("b", 9002);
    const { storeSession } = await import("./session-store.ts");
    const env = { GANTRY_HOME: home, GANTRY_URL: "http://127.0.0.1:9002" };
    storeSession("http://127.0.0.1:9002", { principal: "alice", token: "alice-token", tokenId: "t1", expiresAt: new Date(Date.now() + 60_000).toISOString() }, env);
    assert.equal(resolveClientConfig(env).token, "alice-token");
    assert.equal(resolveClientConfig({ ...env, GANTRY_TOKEN: "explicit" }).token, "explicit");
    storeSession("http://127.0.0.1:9002", { principal: "alice", token: "alice-token", tokenId: "t1", expiresAt: new Date(Date.now() - 1).toISOString() }, env);
    assert.equal(resolveClientConfig(env).token, "token-b", "expired: the local cluster's token again");
    storeSession("http://127.0.0.1:9002", undefined, env);
  });

  test("GANTRY_URL without GANTRY_TOKEN: the token of the local cluster at that address, else say to set it", async () => {
    await addCluster("a", 9001);
    assert.equal(resolveClientConfig({ GANTRY_HOME: home, GANTRY_URL: "http://127.0.0.1:9001/" }).token, "token-a");
    assert.throws(() => resolveClientConfig({ GANTRY_HOME: home, GANTRY_URL: "http://127.0.0.1:9009" }), /^GantryError: no token: run `gantry auth login`, or set GANTRY_TOKEN/);
    assert.equal(resolveClientConfig({ GANTRY_HOME: home, GANTRY_URL: "http://127.0.0.1:9009" }, undefined, { requireToken: false }).token, "", "logging in needs no token");
    assert.throws(() => resolveClientConfig({ GANTRY_HOME: home, GANTRY_URL: "not a url", GANTRY_TOKEN: "t" }), /GANTRY_URL "not a url" is not a URL/);
  });
});
