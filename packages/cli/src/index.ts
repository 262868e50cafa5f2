/** The `gantry` CLI. (The cluster `gantry up` runs is the launcher's: @gantry/launcher.) */
export { runCli, buildProgram } from "./main.ts";
