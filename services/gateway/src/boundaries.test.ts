import assert from "node:assert/strict";
import { globSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

test("the gateway talks to the services over the contract only: no source imports a service's code", () => {
  const files = globSync(`${here}/**/*.ts`).filter((f) => !f.endsWith(".test.ts"));
  assert.ok(files.length > 20);
  for (const file of files) {
    const imports = [...readFileSync(file, "utf8").matchAll(/from "(@gantry\/[a-z-]+)/g)].map((m) => m[1]);
    const services = imports.filter((i) => ["@gantry/registry", "@gantry/scheduler", "@gantry/agent", "@gantry/launcher"].includes(i!));
    assert.deepEqual(services, [], `${path.relative(here, file)} imports ${services.join(", ")}`);
  }
});
