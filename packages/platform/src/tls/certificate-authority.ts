import { generateKeyPairSync, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import forge from "node-forge";

/** A certificate and its private key, PEM. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

/** A fresh RSA-2048 key pair (node's native generator; node-forge only signs). */
function rsaKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

function certificate(publicKey: forge.pki.rsa.PublicKey, subject: string, days: number, now: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial of 16 random bytes (RFC 5280: at most 20 octets, unique per CA).
  cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  cert.setSubject([{ name: "commonName", value: subject }, { name: "organizationName", value: "Gantry" }]);
  return cert;
}

/** A cluster CA: self-signed, valid `days` (default ten years), that signs the certificates of every part of the cluster. */
export function createClusterCa(cluster: string, options: { days?: number; now?: Date } = {}): PemPair {
  const keys = rsaKeys();
  const cert = certificate(keys.publicKey, `Gantry cluster ${cluster} CA`, options.days ?? 3650, options.now ?? new Date());
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/**
 * A certificate signed by `ca` for one part of the cluster (`registry`, `agent-1`, `nats`, …),
 * good for both ends of mutual TLS (server and client auth), for the given host names and IP
 * addresses. Valid `days` (default one year).
 */
export function issueCertificate(ca: PemPair, subject: string, hosts: readonly string[], options: { days?: number; now?: Date } = {}): PemPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = rsaKeys();
  const cert = certificate(keys.publicKey, subject, options.days ?? 365, options.now ?? new Date());
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true, clientAuth: true },
    { name: "subjectAltName", altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}
