/** Transport security: the cluster CA, each part's certificate, and TLS for gRPC and NATS. */
export { createClusterCa, issueCertificate } from "./certificate-authority.ts";
export type { PemPair } from "./certificate-authority.ts";
export { natsTls, tlsFromEnv } from "./tls-material.ts";
export { channelCredentials, serverCredentials } from "./grpc-credentials.ts";
export type { TlsMaterial } from "./tls-material.ts";
export { gatewayFetch } from "./gateway-fetch.ts";
