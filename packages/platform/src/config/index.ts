export { clusterNames } from "./cluster-names.ts";
export type { ClusterNames } from "./cluster-names.ts";
export { infrastructureUrls } from "./environment.ts";
export type { InfrastructureUrls } from "./environment.ts";
export { serviceEnvironment } from "./service-environment.ts";
export type { ServiceEnvironment } from "./service-environment.ts";
