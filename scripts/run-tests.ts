/**
 * Runs Gantry's tests with Node's test runner, by kind:
 *   unit  `*.test.ts` beside the code (no Postgres/NATS),
 *   int   `*.int.test.ts` beside the code (real Postgres and NATS),
 *   e2e   `test/e2e/*.test.ts` (whole clusters from test/support),
 *   all   the three in that order (every kind runs even when an earlier one failed).
 * Prints the spec reporter's output, then one closing line `tests: N passed, N failed, N skipped`.
 * Extra arguments go to `node --test` (e.g. `--test-name-pattern`).
 */
import { globSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";

type Kind = "unit" | "int" | "e2e";

const roots = ["proto/src", "packages/*/src", "services/*/src", "infra"];
const beside = (pattern: string) => roots.flatMap((root) => globSync(`${root}/**/${pattern}`)).filter((f) => !f.includes("node_modules"));

const KINDS: Record<Kind, { files: () => string[]; concurrency: number }> = {
  unit: { files: () => beside("*.test.ts").filter((f) => !f.endsWith(".int.test.ts")), concurrency: 2 },
  int: { files: () => beside("*.int.test.ts"), concurrency: 2 },
  // Whole clusters: one at a time, so two never compete for the machine's two cores.
  e2e: { files: () => globSync("test/e2e/**/*.test.ts"), concurrency: 1 },
};

interface Counts {
  pass: number;
  fail: number;
  skipped: number;
  ok: boolean;
}

function run(kind: Kind, extra: string[]): Counts {
  const files = KINDS[kind].files().sort();
  if (files.length === 0) {
    console.error(`no ${kind} tests found`);
    return { pass: 0, fail: 1, skipped: 0, ok: false };
  }
  const dir = mkdtempSync(path.join(tmpdir(), "gantry-tests-"));
  const tap = path.join(dir, `${kind}.tap`);
  try {
    const result = spawnSync(
      process.execPath,
      [
        "--test",
        `--test-concurrency=${KINDS[kind].concurrency}`,
        "--test-timeout=180000",
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        "--test-reporter=tap",
        `--test-reporter-destination=${tap}`,
        ...extra,
        ...files,
      ],
      { stdio: "inherit" },
    );
    const text = readFileSync(tap, "utf8");
    const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    return { pass: count("pass"), fail: count("fail") + count("cancelled"), skipped: count("skipped") + count("todo"), ok: result.status === 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [which, ...extra] = process.argv.slice(2);
const kinds: Kind[] = which === "all" ? ["unit", "int", "e2e"] : which === "unit" || which === "int" || which === "e2e" ? [which] : [];
if (kinds.length === 0) {
  console.error("usage: run-tests.ts unit|int|e2e|all [node --test options]");
  process.exit(2);
}
const total: Counts = { pass: 0, fail: 0, skipped: 0, ok: true };
for (const kind of kinds) {
  const c = run(kind, extra);
  console.log(`${kind}: ${c.pass} passed, ${c.fail} failed, ${c.skipped} skipped`);
  total.pass += c.pass;
  total.fail += c.fail;
  total.skipped += c.skipped;
  total.ok &&= c.ok;
}
console.log(`tests: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(total.ok && total.fail === 0 ? 0 : 1);
