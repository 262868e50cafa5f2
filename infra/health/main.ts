/**
 * A container's health check: `node infra/health/main.ts <probe> <args>` (see PROBE_USAGE) exits
 * 0 when healthy, 1 when not, 2 on a usage error, printing one line that says why (`docker
 * inspect` and `docker compose ps` show it).
 */
import { parseProbeCommand, runProbe } from "./probe-command.ts";

let command;
try {
  command = parseProbeCommand(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const result = await runProbe(command);
(result.healthy ? console.log : console.error)(result.detail);
process.exit(result.healthy ? 0 : 1);
