/** The gateway: the one address clients use (HTTP and gRPC on one port). */
export { startGateway } from "./start-gateway.ts";
export type { GatewayOptions, RunningGateway } from "./start-gateway.ts";
export { ROUTE_ACCESS } from "./http/route-access.ts";
export type { RouteAccess } from "./http/route-access.ts";
export { loadOrCreateExecTicketKeys, execTicketPrivateKey } from "./exec/exec-ticket-keys.ts";
