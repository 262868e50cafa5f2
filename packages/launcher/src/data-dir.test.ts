import assert from "node:assert/strict";
import { test } from "node:test";
import { clusterFilePath, dataDirLayout, defaultDataDir } from "./data-dir.ts";

test("the data dir holds everything of a cluster under one folder", () => {
  const layout = dataDirLayout("/home/u/.gantry/demo");
  const { agentWorkDir, ...files } = layout;
  assert.deepEqual(files, {
    root: "/home/u/.gantry/demo",
    postgres: "/home/u/.gantry/demo/postgres",
    postgresLog: "/home/u/.gantry/demo/postgres.log",
    postgresPassword: "/home/u/.gantry/demo/postgres.password",
    nats: "/home/u/.gantry/demo/nats",
    natsLog: "/home/u/.gantry/demo/nats-server.log",
    natsPidFile: "/home/u/.gantry/demo/nats/nats-server.pid",
    authKey: "/home/u/.gantry/demo/auth.key",
    tls: "/home/u/.gantry/demo/tls",
    secretsKey: "/home/u/.gantry/demo/secrets.key",
    execTicketKey: "/home/u/.gantry/demo/exec-ticket.key",
    infrastructure: "/home/u/.gantry/demo/infrastructure.json",
    pidFile: "/home/u/.gantry/demo/gantry.pid",
    logFile: "/home/u/.gantry/demo/gantry.log",
  });
  assert.equal(agentWorkDir(2), "/home/u/.gantry/demo/agents/2");
});

test("default data dir and cluster file: $GANTRY_HOME/<cluster>, where the CLI looks for cluster.json", () => {
  assert.equal(defaultDataDir("/home/u/.gantry", "demo"), "/home/u/.gantry/demo");
  assert.equal(clusterFilePath("/home/u/.gantry", "demo"), "/home/u/.gantry/demo/cluster.json");
});
