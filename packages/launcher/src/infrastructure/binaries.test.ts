import assert from "node:assert/strict";
import { test } from "node:test";
import { findNatsServer, findSystemPostgres, type FileProbe } from "./binaries.ts";

/** A file system of executables and links, as the probe sees it. */
function fakeFs(executables: string[], links: Record<string, string> = {}): FileProbe {
  const files = new Set(executables);
  return {
    isExecutable: (file) => files.has(file),
    realPath: (file) => links[file] ?? file,
    list: (dir) => [...new Set(executables.filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1).split("/")[0]!))],
  };
}

test("findSystemPostgres: PATH first, with links resolved to the installation they belong to", () => {
  const fs = fakeFs(["/usr/local/bin/initdb", "/usr/local/bin/postgres", "/usr/lib/postgresql/16/bin/initdb", "/usr/lib/postgresql/16/bin/postgres"], {
    "/usr/local/bin/initdb": "/usr/lib/postgresql/15/bin/initdb",
    "/usr/local/bin/postgres": "/usr/lib/postgresql/15/bin/postgres",
  });
  assert.deepEqual(findSystemPostgres({ PATH: "/usr/bin:/usr/local/bin" }, fs), {
    initdb: "/usr/lib/postgresql/15/bin/initdb",
    postgres: "/usr/lib/postgresql/15/bin/postgres",
    origin: "system, /usr/lib/postgresql/15",
  });
});

test("findSystemPostgres: else the newest complete /usr/lib/postgresql/<version>/bin (Debian keeps initdb off PATH)", () => {
  const fs = fakeFs(["/usr/lib/postgresql/9.6/bin/initdb", "/usr/lib/postgresql/9.6/bin/postgres", "/usr/lib/postgresql/15/bin/initdb", "/usr/lib/postgresql/15/bin/postgres", "/usr/lib/postgresql/17/bin/psql"]);
  const found = findSystemPostgres({ PATH: "/usr/bin" }, fs);
  assert.equal(found?.postgres, "/usr/lib/postgresql/15/bin/postgres");
  assert.equal(found?.origin, "system, /usr/lib/postgresql/15");
});

test("findSystemPostgres: a folder with only one of initdb and postgres does not count; none found is undefined", () => {
  assert.equal(findSystemPostgres({ PATH: "/usr/bin" }, fakeFs(["/usr/bin/postgres"])), undefined);
  assert.equal(findSystemPostgres({}, fakeFs([])), undefined);
});

test("findNatsServer: PATH first, else /usr/sbin (Debian's, off a user's PATH), else undefined", () => {
  assert.equal(findNatsServer({ PATH: "/opt/nats:/usr/bin" }, fakeFs(["/opt/nats/nats-server", "/usr/sbin/nats-server"])), "/opt/nats/nats-server");
  assert.equal(findNatsServer({ PATH: "/usr/bin" }, fakeFs(["/usr/sbin/nats-server"])), "/usr/sbin/nats-server");
  assert.equal(findNatsServer({ PATH: "/usr/bin" }, fakeFs([])), undefined);
});
