import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { localClusterName } from "./client-config.ts";

test("localClusterName: GANTRY_CLUSTER, else the one local cluster with a cluster file, else gantry", async () => {
  const home = await mkdtemp(path.join(tmpdir(), "gantry-home-"));
  const addCluster = async (name: string, withFile: boolean) => {
    await mkdir(path.join(home, name), { recursive: true });
    if (withFile) await writeFile(path.join(home, name, "cluster.json"), "{}");
  };
  try {
    assert.equal(localClusterName({ GANTRY_HOME: path.join(home, "missing") }), "gantry");
    await addCluster("stale", false);
    assert.equal(localClusterName({ GANTRY_HOME: home }), "gantry", "a folder without a cluster file is no running cluster");
    await addCluster("demo", true);
    assert.equal(localClusterName({ GANTRY_HOME: home }), "demo");
    assert.equal(localClusterName({ GANTRY_HOME: home, GANTRY_CLUSTER: "other" }), "other");
    await addCluster("second", true);
    assert.equal(localClusterName({ GANTRY_HOME: home }), "gantry", "two local clusters: no guess");
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
