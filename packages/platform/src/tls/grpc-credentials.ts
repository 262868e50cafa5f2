import { credentials, ServerCredentials, type ChannelCredentials } from "@grpc/grpc-js";
import type { TlsMaterial } from "./tls-material.ts";

/** gRPC server credentials: TLS that requires a client certificate signed by the cluster CA; insecure without material. */
export function serverCredentials(tls: TlsMaterial | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(Buffer.from(tls.ca), [{ private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) }], true);
}

/** gRPC channel credentials: TLS verifying the server against the cluster CA, presenting this part's certificate; insecure without material. */
export function channelCredentials(tls: Partial<TlsMaterial> | undefined): ChannelCredentials {
  if (!tls?.ca) return credentials.createInsecure();
  return credentials.createSsl(Buffer.from(tls.ca), tls.key ? Buffer.from(tls.key) : null, tls.cert ? Buffer.from(tls.cert) : null);
}
