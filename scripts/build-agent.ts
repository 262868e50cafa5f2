/**
 * Builds the agent as one file for the nodes: `dist/gantry-agent.mjs` (+ `.map`), the agent's
 * `main.ts` and everything it imports bundled and minified by esbuild. A node then needs only
 * Node 24 and that file (`node --enable-source-maps dist/gantry-agent.mjs --agent-id …`), and the
 * agent runs in about half the memory of the source form (no TypeScript stripping at start, no
 * unused modules loaded: see services/agent/README.md, "Deploying").
 *   node scripts/build-agent.ts [--outfile dist/gantry-agent.mjs]
 */
import { parseArgs } from "node:util";
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
});
const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)?.bytes ?? 0;
console.log(`${values.outfile}: ${(bytes / 1024).toFixed(0)} KB`);
