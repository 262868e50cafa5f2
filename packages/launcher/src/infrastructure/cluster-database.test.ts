import assert from "node:assert/strict";
import { test } from "node:test";
import { clusterDatabase, clusterDatabaseName, maintenanceUrl } from "./cluster-database.ts";

test("clusterDatabaseName: gantry_<cluster>, '-' as '_'", () => {
  assert.equal(clusterDatabaseName("gantry"), "gantry_gantry");
  assert.equal(clusterDatabaseName("edge-1"), "gantry_edge_1");
});

test("clusterDatabase: a URL naming the server (maintenance database or none) gets the cluster's own database, credentials and options kept", () => {
  for (const server of ["postgres://u:p%40ss@db:5433/postgres?sslmode=disable", "postgres://u:p%40ss@db:5433/template1?sslmode=disable", "postgres://u:p%40ss@db:5433?sslmode=disable"]) {
    assert.deepEqual(clusterDatabase(server, "edge-1"), { url: "postgres://u:p%40ss@db:5433/gantry_edge_1?sslmode=disable", name: "gantry_edge_1", derived: true }, server);
  }
});

test("clusterDatabase: a URL naming another database is used as it is", () => {
  assert.deepEqual(clusterDatabase("postgres://u@db/prod_events", "prod"), { url: "postgres://u@db/prod_events", name: "prod_events", derived: false });
});

test("maintenanceUrl: the same server's postgres database", () => {
  assert.equal(maintenanceUrl("postgres://u:p@db:5433/gantry_x?sslmode=disable"), "postgres://u:p@db:5433/postgres?sslmode=disable");
});
