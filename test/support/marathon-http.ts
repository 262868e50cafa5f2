import { eventually, within } from "@gantry/platform/testing";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** One answer of the gateway's Marathon API: status, headers, text, and the body parsed (`{}` when not JSON). */
export interface MarathonAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

/** What a call sends: a JSON `body` or a `raw` text with its `contentType`; `auth` null sends no Authorization, a string sends it as given (default: the cluster's Bearer token). */
export interface MarathonCallOptions {
  body?: unknown;
  raw?: string;
  contentType?: string;
  auth?: string | null;
}

/** A client of Marathon's REST API at a cluster's gateway (or at the one `target()` names when called, for a cluster started later), as Marathon's own clients call it (every call answered within 20 s or it fails). */
export function marathonHttp(target: { url: string; token: string } | (() => { url: string; token: string })) {
  async function api(method: string, path: string, options: MarathonCallOptions = {}): Promise<MarathonAnswer> {
    const cluster = typeof target === "function" ? target() : target;
    const headers: Record<string, string> = {};
    const auth = options.auth === undefined ? `Bearer ${cluster.token}` : options.auth;
    if (auth !== null) headers.authorization = auth;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
    const aborter = new AbortController();
    const { res, text } = await within(`an answer to ${method} ${path}`, (async () => {
      const res = await fetch(cluster.url + path, { method, headers, body, signal: aborter.signal });
      return { res, text: await res.text() };
    })(), 20_000).finally(() => aborter.abort());
    let json: Json = {};
    try {
      json = text === "" ? {} : (JSON.parse(text) as Json);
    } catch {
      // text/plain answers (/ping) keep json empty.
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  /** Waits until no running deployment affects `appId`. */
  async function settled(appId: string, timeoutMs?: number): Promise<void> {
    await eventually(`no deployment of ${appId}`, async () => {
      const list = await api("GET", "/v2/deployments");
      return list.status === 200 && !list.json.some((d: Json) => d.affectedApps.includes(appId)) ? true : undefined;
    }, timeoutMs);
  }

  return { api, settled };
}
