import type { FastifyInstance } from "fastify";

/** What `/v2/info` reports about this gateway. */
export interface GatewayInfo {
  cluster: string;
  version: string;
  /** host:port of the gateway, reported as Marathon's leader. */
  address(): string;
}

/** `/ping`, `/v2/info` and `/v2/leader`, in Marathon's shapes. */
export function registerInfoRoutes(app: FastifyInstance, info: GatewayInfo): void {
  app.get("/ping", async (_request, reply) => reply.type("text/plain").send("pong"));
  app.get("/v2/leader", async () => ({ leader: info.address() }));
  app.get("/v2/info", async () => ({
    name: "gantry",
    version: info.version,
    buildref: "gantry",
    elected: true,
    leader: info.address(),
    frameworkId: info.cluster,
    marathon_config: { master: "gantry", framework_name: info.cluster, mesos_role: null, mesos_user: "root" },
    zookeeper_config: {},
    event_subscriber: null,
    http_config: { http_port: Number(info.address().split(":").pop()), https_port: null },
  }));
}
