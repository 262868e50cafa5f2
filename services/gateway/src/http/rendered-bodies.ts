import { createHash } from "node:crypto";
import { BoundedMap } from "./bounded-map.ts";

/** A JSON answer rendered once: its UTF-8 bytes (sent as they are, never encoded again) and its ETag. */
export interface RenderedBody {
  bytes: Buffer;
  etag: string;
}

/**
 * JSON answers kept until what they were built from changes: each is stored under a name (the
 * route, its filters and embeds) with the objects it was made of, and reused while a request
 * brings the very same objects (`HeldAnswers` hands out the same object for an unchanged
 * answer). A poller of `GET /v2/apps?embed=apps.tasks` at 10,000 tasks is then answered without
 * building, serialising, hashing or UTF-8-encoding 4 MB of JSON again. Bounded: the oldest names are forgotten.
 */
export class RenderedBodies {
  private readonly bodies: BoundedMap<string, { inputs: readonly unknown[]; body: RenderedBody }>;

  constructor(limit = 256) {
    this.bodies = new BoundedMap(limit);
  }

  /** The body named `name`, rendered by `render` unless one made of the same `inputs` is held. */
  get(name: string, inputs: readonly unknown[], render: () => unknown): RenderedBody {
    const held = this.bodies.get(name);
    if (held && held.inputs.length === inputs.length && held.inputs.every((input, i) => input === inputs[i])) return held.body;
    const bytes = Buffer.from(JSON.stringify(render()), "utf8");
    const body = { bytes, etag: `"${createHash("sha1").update(bytes).digest("base64")}"` };
    this.bodies.set(name, { inputs, body });
    return body;
  }
}
