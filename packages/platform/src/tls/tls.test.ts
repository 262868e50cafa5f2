import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createAuthenticator, createTokenSigner, generateSigningKey } from "../auth/index.ts";
import { GantryError } from "../errors/index.ts";
import { createGrpcClient, createGrpcServer, type GrpcServer } from "../grpc/index.ts";
import { HealthService } from "../grpc/health.ts";
import { createLogger } from "../logging/index.ts";
import { channelCredentials, createClusterCa, issueCertificate, serverCredentials, type TlsMaterial } from "./index.ts";

type HealthClient = { check(r: { service: string }): Promise<{ status: number }>; close(): void };

const ca = createClusterCa("tls-test");
const other = createClusterCa("another");
const material = (authority = ca, subject = "registry"): TlsMaterial => {
  const leaf = issueCertificate(authority, subject, ["localhost", "127.0.0.1"]);
  return { ca: authority.certPem, cert: leaf.certPem, key: leaf.keyPem };
};
let server: GrpcServer;
let port = 0;

before(async () => {
  server = createGrpcServer({ logger: createLogger("tls-test", { level: "silent" }), authenticator: createAuthenticator(createTokenSigner(generateSigningKey())), services: [], credentials: serverCredentials(material()) });
  port = await server.listen("127.0.0.1", 0);
});
after(() => server.shutdown(0));

async function status(credentials: Parameters<typeof channelCredentials>[0]): Promise<string> {
  const client = createGrpcClient(HealthService as never, `127.0.0.1:${port}`, { credentials: channelCredentials(credentials), deadlineMs: 3_000 }) as unknown as HealthClient;
  try {
    return String((await client.check({ service: "" })).status);
  } catch (err) {
    return err instanceof GantryError ? err.code : String(err);
  } finally {
    client.close();
  }
}

test("a part with a certificate of the cluster CA is served over mutual TLS; a plaintext client, one without a certificate, or one of another CA is refused", async () => {
  assert.equal(await status(material(ca, "scheduler")), "1", "SERVING over mTLS");
  assert.equal(await status(undefined), "Unavailable", "plaintext");
  assert.equal(await status({ ca: ca.certPem }), "Unavailable", "no client certificate");
  assert.equal(await status(material(other, "intruder")), "Unavailable", "a certificate of another CA");
});

test("issued certificates name their holder and hosts, and are signed by the CA", async () => {
  const { X509Certificate } = await import("node:crypto");
  const leaf = new X509Certificate(material().cert);
  assert.match(leaf.subject, /CN=registry/);
  assert.match(leaf.subjectAltName ?? "", /DNS:localhost, IP Address:127\.0\.0\.1/);
  assert.ok(leaf.verify(new X509Certificate(ca.certPem).publicKey));
  assert.ok(!leaf.verify(new X509Certificate(other.certPem).publicKey));
});
