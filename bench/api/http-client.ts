import { Pool, type Dispatcher } from "undici";

/** One answer, read whole. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** What the benchmark sends requests with: keep-alive connections to one origin. */
export interface BenchHttpClient {
  request(method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<HttpAnswer>;
  /** Closes every connection at once, failing requests still in flight (the benchmark's cleanup). */
  destroy(): Promise<void>;
}

/**
 * The benchmark's HTTP/1.1 client: undici's connection pool and its `request` API, with keep-alive
 * and no pipelining, up to `connections` requests in flight. Not `fetch`: in one process against
 * a bare node:http server on a 2-core VM, a POST with `fetch` took 0.29-0.36 ms p50 and 0.46-0.58
 * ms of CPU (client and server), with this pool 0.06-0.08 ms and 0.12-0.16 ms: time the figures
 * would charge to Gantry, and CPU taken from the services under test on the same cores.
 */
export function benchHttpClient(origin: string, headers: Record<string, string>, connections: number): BenchHttpClient {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  return {
    async request(method, path, body) {
      const res = await pool.request({
        method,
        path,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    },
    destroy: () => pool.destroy(),
  };
}
