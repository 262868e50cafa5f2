import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createClusterCa, issueCertificate, type PemPair, type TlsMaterial } from "@gantry/platform";

/** Where one part's TLS files are (the `GANTRY_TLS_*_FILE` a process of that part is given). */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** The cluster CA in a data dir and the certificates it signed for the cluster's parts. */
export interface ClusterTls {
  /** The CA's certificate: what clients trust (`cluster.json` names it for the CLI). */
  caFile: string;
  /** The files of part `name` (`control-plane`, `nats`, `agent-1`, …), made on first use. */
  files(name: string): Promise<TlsFiles>;
  material(name: string): Promise<TlsMaterial>;
}

async function readPair(cert: string, key: string): Promise<PemPair | undefined> {
  if (!existsSync(cert) || !existsSync(key)) return undefined;
  return { certPem: await readFile(cert, "utf8"), keyPem: await readFile(key, "utf8") };
}

async function writePair(cert: string, key: string, pair: PemPair): Promise<void> {
  await writeFile(cert, pair.certPem, { mode: 0o644 });
  await writeFile(key, pair.keyPem, { mode: 0o600 });
}

/**
 * The cluster's CA in `dir` (made once and kept: certificates it signed stay valid across
 * restarts), and a certificate per part, for `hosts` (loopback and the gateway's interface),
 * each good for both ends of mutual TLS. Keys are readable by their owner only.
 */
export async function ensureClusterTls(dir: string, cluster: string, hosts: readonly string[]): Promise<ClusterTls> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFile = path.join(dir, "ca.crt");
  const caKey = path.join(dir, "ca.key");
  let ca = await readPair(caFile, caKey);
  if (!ca) {
    ca = createClusterCa(cluster);
    await writePair(caFile, caKey, ca);
  }
  const authority = ca;
  const files = async (name: string): Promise<TlsFiles> => {
    const cert = path.join(dir, `${name}.crt`);
    const key = path.join(dir, `${name}.key`);
    if (!(await readPair(cert, key))) await writePair(cert, key, issueCertificate(authority, name, hosts));
    return { ca: caFile, cert, key };
  };
  return {
    caFile,
    files,
    async material(name) {
      const f = await files(name);
      return { ca: await readFile(f.ca, "utf8"), cert: await readFile(f.cert, "utf8"), key: await readFile(f.key, "utf8") };
    },
  };
}

/** Part `name`'s material in `dir` when `gantry up --tls` made it there (for `gantry doctor`); undefined otherwise. */
export async function existingMaterial(dir: string, name: string): Promise<TlsMaterial | undefined> {
  const pair = await readPair(path.join(dir, `${name}.crt`), path.join(dir, `${name}.key`));
  const ca = path.join(dir, "ca.crt");
  return pair && existsSync(ca) ? { ca: await readFile(ca, "utf8"), cert: pair.certPem, key: pair.keyPem } : undefined;
}

/** The CA certificate a cluster file names (the gateway's HTTPS is checked against it); undefined without one. */
export async function clusterCa(file: { ca?: string } | undefined): Promise<string | undefined> {
  return file?.ca ? readFile(file.ca, "utf8") : undefined;
}

/** The environment that gives a process part `files` (see `tlsFromEnv`). */
export function tlsEnvironment(files: TlsFiles): Record<string, string> {
  return { GANTRY_TLS_CA_FILE: files.ca, GANTRY_TLS_CERT_FILE: files.cert, GANTRY_TLS_KEY_FILE: files.key };
}
