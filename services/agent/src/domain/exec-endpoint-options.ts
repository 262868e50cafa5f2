import type { FieldViolation } from "@gantry/platform/errors";

/** Where the agent serves its gRPC endpoint (exec), and the key exec tickets are checked with. */
export interface AgentEndpointSettings {
  host: string;
  /** 0: an ephemeral port, advertised at registration. */
  port: number;
  /** PEM file of the gateway's Ed25519 exec ticket public key; absent: every exec is refused. */
  ticketKeyFile?: string;
}

/**
 * Compiles `--grpc-listen` (`HOST:PORT`, `[V6]:PORT`, `PORT`, or `off`; default the agent's
 * hostname with an ephemeral port) and `--exec-key-file` (absolute path). Pure; every problem
 * is a violation naming its option. `undefined` settings: the endpoint is off.
 */
export function compileEndpointSettings(raw: { grpcListen?: string; execKeyFile?: string }, hostname: string): { settings: AgentEndpointSettings | undefined; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const listen = (raw.grpcListen ?? "").trim();
  if (listen === "off") return { settings: undefined, violations };
  let host = hostname;
  let portText = "0";
  if (listen !== "") {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d+)$/.exec(listen);
    if (m) {
      host = m[1] ?? m[2]!;
      portText = m[3]!;
    } else if (/^\d+$/.test(listen)) portText = listen;
    else violations.push({ path: "/grpcListen", errors: [`"${listen}" must be HOST:PORT, PORT or off`] });
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port > 65535) violations.push({ path: "/grpcListen", errors: [`port ${portText} is not 0-65535`] });
  const keyFile = raw.execKeyFile?.trim();
  if (keyFile !== undefined && keyFile !== "" && !keyFile.startsWith("/")) violations.push({ path: "/execKeyFile", errors: [`"${keyFile}" must be an absolute path`] });
  return { settings: { host, port, ...(keyFile ? { ticketKeyFile: keyFile } : {}) }, violations };
}
