import assert from "node:assert/strict";
import { test } from "node:test";
import { setprivPrefix } from "./postgres-identity.ts";
import { initdbArgs, postgresServerArgs } from "./postgres-server.ts";

const binaries = { initdb: "/pg/bin/initdb", postgres: "/pg/bin/postgres", origin: "system, /pg" };

test("postgres listens on loopback only, with no unix socket to place, and commits durably", () => {
  const args = postgresServerArgs(binaries, "/d/postgres", 5433);
  assert.deepEqual(args.slice(0, 5), ["/pg/bin/postgres", "-D", "/d/postgres", "-p", "5433"]);
  const settings = args.filter((_, i) => args[i - 1] === "-c");
  assert.deepEqual(settings, ["listen_addresses=127.0.0.1", "unix_socket_directories=", "synchronous_commit=on", "fsync=on"]);
});

test("initdb makes a password-protected superuser postgres (SCRAM), UTF8", () => {
  assert.deepEqual(initdbArgs(binaries, "/d/postgres", "/d/postgres.password"), ["/pg/bin/initdb", "-D", "/d/postgres", "-U", "postgres", "--pwfile=/d/postgres.password", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"]);
});

test("setprivPrefix: runs as the user; the traverse capability only when the user cannot reach the data dir", () => {
  const user = { name: "postgres", uid: 101, gid: 104 };
  assert.deepEqual(setprivPrefix("/usr/bin/setpriv", user, false), ["/usr/bin/setpriv", "--reuid=101", "--regid=104", "--init-groups", "--"]);
  assert.deepEqual(setprivPrefix("/usr/bin/setpriv", user, true), ["/usr/bin/setpriv", "--reuid=101", "--regid=104", "--init-groups", "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", "--"]);
});
