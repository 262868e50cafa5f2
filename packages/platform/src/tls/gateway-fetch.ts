import { Agent, fetch as undiciFetch } from "undici";

const dispatchers = new Map<string, Agent>();

/**
 * `fetch` for talking to a gateway: the platform's own when the gateway's certificate is signed
 * by a public CA (or it serves plain HTTP), else one that trusts `ca` (the cluster CA's
 * certificate, PEM) as well as nothing else.
 */
export function gatewayFetch(ca: string | undefined): typeof fetch {
  if (!ca) return fetch;
  // One connection pool per CA: callers that poll (the launcher waiting for the gateway) reuse it.
  let dispatcher = dispatchers.get(ca);
  if (!dispatcher) dispatchers.set(ca, (dispatcher = new Agent({ connect: { ca } })));
  return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}
