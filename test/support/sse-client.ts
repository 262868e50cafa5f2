/** One server-sent event as a client sees it. */
export interface ServerSentEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** A server-sent event stream being read; `close()` drops the connection. */
export interface SseConnection {
  /** Every event received so far, in order. */
  readonly events: ServerSentEvent[];
  /** The id of the last event that had one (what a client sends back as Last-Event-ID). */
  lastEventId(): string | undefined;
  close(): void;
  /** Settles when the connection ends (closed here, or by the server). */
  readonly ended: Promise<void>;
}

/**
 * Opens `url` as an EventSource does (GET, `Accept: text/event-stream`, `Last-Event-ID` when
 * resuming) and parses the stream as it arrives: `id:`, `event:`, `data:` lines, a blank line
 * ending each event, `:` comments skipped. Resolves once the response headers arrived.
 */
export async function openSse(url: string, headers: Record<string, string>, lastEventId?: string): Promise<SseConnection> {
  const aborter = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers, ...(lastEventId ? { "last-event-id": lastEventId } : {}) }, signal: aborter.signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  const events: ServerSentEvent[] = [];
  let last = lastEventId;
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    let current: { id?: string; event?: string; data: string[] } = { data: [] };
    try {
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, "");
          buffer = buffer.slice(nl + 1);
          if (line === "") {
            if (current.data.length > 0 || current.event) {
              if (current.id !== undefined) last = current.id;
              events.push({ id: current.id, event: current.event ?? "message", data: current.data.join("\n") });
            }
            current = { data: [] };
          } else if (!line.startsWith(":")) {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "id") current.id = value;
            else if (field === "event") current.event = value;
            else if (field === "data") current.data.push(value);
          }
        }
      }
    } catch (err) {
      if (!aborter.signal.aborted) throw err;
    }
  })();
  return { events, lastEventId: () => last, close: () => aborter.abort(), ended };
}
