/**
 * Node's own flags for the agent process, given before its entry point wherever it is started
 * (the bundle on a node, `gantry up`'s local agents, the agent's test support and benchmark).
 * They trade JavaScript speed the agent does not need (it waits on system calls, NATS and its
 * tasks) for memory on every node:
 *
 * - `--max-semi-space-size=1`: a young generation of 1 MB semi-spaces instead of up to 16 MB
 *   (V8 grows them under allocation and keeps them resident);
 * - `--no-opt --no-maglev`: no optimizing compilers (the interpreter and the baseline compiler
 *   only): neither their pages of the Node binary nor optimized code become resident.
 *
 * Together about 10 MB less RSS idle and 18 MB less with 100 tasks, at no CPU cost measured by
 * `bench:agent` (`--lite-mode` would save 6 MB more for 35% more CPU, and makes Node's
 * TypeScript stripping, in WebAssembly, too slow for the source form to start). None can be set
 * from inside the process (V8 configures its heap and compilers at start).
 */
export const AGENT_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--no-opt", "--no-maglev"];
