/**
 * Runs one kind of test with Node's test runner:
 *   unit  `*.test.ts` beside the code (no Postgres/NATS),
 *   int   `*.int.test.ts` beside the code (real Postgres and NATS),
 *   e2e   `test/e2e/*.test.ts` (whole clusters from test/support).
 * Extra arguments are passed to `node --test` (e.g. `--test-name-pattern`).
 */
import { globSync } from "node:fs";
import { spawnSync } from "node:child_process";

const kind = process.argv[2];
const roots = ["proto/src", "packages/*/src", "services/*/src"];
const all = (pattern: string) =>
  roots.flatMap((root) => globSync(`${root}/**/${pattern}`)).filter((f) => !f.includes("node_modules"));

let files: string[];
let concurrency = "2";
switch (kind) {
  case "unit":
    files = all("*.test.ts").filter((f) => !f.endsWith(".int.test.ts"));
    break;
  case "int":
    files = all("*.int.test.ts");
    break;
  case "e2e":
    files = globSync("test/e2e/**/*.test.ts");
    concurrency = "1";
    break;
  default:
    console.error("usage: run-tests.ts unit|int|e2e [node --test options]");
    process.exit(2);
}
files.sort();
if (files.length === 0) {
  console.error(`no ${kind} tests found`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--test", `--test-concurrency=${concurrency}`, "--test-timeout=120000", ...process.argv.slice(3), ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
