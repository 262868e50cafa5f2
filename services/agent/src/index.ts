/**
 * @gantry/agent: one node's agent. Start it with `startAgent(compileAgentOptions(raw), {bus, logger})`;
 * `gantry up` does exactly that. Simulated agents (many per process, same protocol, no processes)
 * for scale tests and benchmarks: `startSimulatedAgents(compileSimulatedAgentOptions(raw), {bus, logger})`.
 * See README.md for the runtime and its vocabulary.
 */
export { compileAgentOptions } from "./agent-options.ts";
export { parseAgentCommandLine, AGENT_FLAG_ENV_NAMES, AGENT_USAGE } from "./agent-command-line.ts";
export type { AgentCommandLine } from "./agent-command-line.ts";
export { startAgent } from "./agent-service.ts";
export { AGENT_NODE_FLAGS } from "./agent-node-flags.ts";
export type { RunningAgent } from "./agent-service.ts";
export { startLogShipping } from "./log-shipping.ts";
export type { RunningLogShipping } from "./log-shipping.ts";
export { probeMachine } from "./adapters/machine-probe.ts";
export { DEFAULT_HEARTBEAT_SECONDS } from "./adapters/agent-link.nats.ts";
export { buildAgentOptions, OOM_MESSAGE, GONE_MESSAGE } from "./domain/index.ts";
export type { AgentOptions, RawAgentOptions, MachineFacts, IsolationMode, CgroupSupport, GpuDeviceSpec, PortRangeSpec } from "./domain/index.ts";
export { startSimulatedAgents } from "./sim/simulated-agents.ts";
export type { SimulatedAgents } from "./sim/simulated-agents.ts";
export { compileSimulatedAgentOptions, MAX_SIMULATED_AGENTS } from "./sim/simulated-agent-options.ts";
export type { SimulatedAgentOptions, RawSimulatedAgentOptions, MsRange } from "./sim/simulated-agent-options.ts";
