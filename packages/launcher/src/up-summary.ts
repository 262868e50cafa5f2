/** What `gantry up` prints once the cluster answers. */
export interface UpSummary {
  url: string;
  token: string;
  cluster: string;
  dataDir: string;
  agents: number;
  /** Started with `--detach`: say how to stop it with `gantry down` rather than Ctrl-C. */
  detached: boolean;
}

/**
 * The lines printed when the cluster is up: the gateway and admin token, an `export` line for
 * the CLI and curl elsewhere, three commands to try, and how to stop it.
 */
export function formatUpSummary(s: UpSummary): string {
  const clusterFlag = s.cluster === "gantry" ? "" : ` --cluster ${s.cluster}`;
  return [
    `Gantry is up: cluster "${s.cluster}", ${s.agents} agent${s.agents === 1 ? "" : "s"}, data in ${s.dataDir}`,
    `  gateway (HTTP and gRPC): ${s.url}`,
    `  admin token:             ${s.token}`,
    "",
    `export GANTRY_URL=${s.url} GANTRY_TOKEN=${s.token}${s.cluster === "gantry" ? "" : ` GANTRY_CLUSTER=${s.cluster}`}`,
    "",
    "Try:",
    `  curl -H "Authorization: token=$GANTRY_TOKEN" $GANTRY_URL/v2/info`,
    `  echo '{"id":"/hello","cmd":"while true; do echo hello; sleep 5; done","cpus":0.1,"mem":32}' | npx gantry app add`,
    "  npx gantry task list",
    "",
    s.detached ? `Stop it with: npx gantry down${clusterFlag}   (add --purge to delete its data too)` : "Press Ctrl-C to stop every service and task.",
    "",
  ].join("\n");
}
