/**
 * Builds the agent as one file for the nodes: `dist/gantry-agent.mjs` (+ `.map`), the agent's
 * `main.ts` and everything it imports bundled and minified by esbuild. A node then needs only
 * Node 24 and that file, started with the agent's Node flags (`node --max-semi-space-size=1
 * --no-opt --no-maglev --enable-source-maps dist/gantry-agent.mjs --agent-id …`: AGENT_NODE_FLAGS
 * in services/agent/src/agent-node-flags.ts), and the agent runs in about 60% of the memory of
 * the source form (no TypeScript stripping at start, no unused modules loaded: see
 * services/agent/README.md, "Deploying").
 * The task launcher (gantry-task-launcher, C) is built too and copied beside the bundle.
 *   node scripts/build-agent.ts [--outfile dist/gantry-agent.mjs]
 */
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const { values } = parseArgs({ options: { outfile: { type: "string", default: "dist/gantry-agent.mjs" } } });

const result = await build({
  entryPoints: ["services/agent/src/main.ts"],
  outfile: values.outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  minify: true,
  sourcemap: "linked",
  metafile: true,
  // CommonJS dependencies (pino's) call require() for Node's own modules; an ES module has none.
  banner: { js: 'import { createRequire as __gantryCreateRequire } from "node:module"; const require = __gantryCreateRequire(import.meta.url);' },
  logLevel: "warning",
  // A native addon (exec's PTYs): loaded from node_modules beside the bundle, at the first PTY session.
  external: ["@lydell/node-pty"],
});
const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)?.bytes ?? 0;
console.log(`${values.outfile}: ${(bytes / 1024).toFixed(0)} KB`);

// The agent starts every task through gantry-task-launcher (services/agent/launcher): built here
// when missing or stale, and copied beside the bundle, where the bundled agent looks for it.
const launcherBuild = spawnSync("bash", ["scripts/build-launcher.sh"], { encoding: "utf8" });
if (launcherBuild.status !== 0) throw new Error(`building gantry-task-launcher failed:\n${launcherBuild.stdout}${launcherBuild.stderr}`);
const launcherCopy = join(dirname(values.outfile), "gantry-task-launcher");
copyFileSync("services/agent/launcher/bin/gantry-task-launcher", launcherCopy);
chmodSync(launcherCopy, 0o755);
console.log(`${launcherCopy}: copied beside it`);
