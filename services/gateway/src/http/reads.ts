import type { FastifyInstance, FastifyReply } from "fastify";
import type { ListVersionWatch } from "@gantry/platform";
import type { Backends } from "../backends.ts";
import { HeldAnswers } from "./held-answers.ts";
import { RenderedBodies, type RenderedBody } from "./rendered-bodies.ts";

/**
 * What the read routes keep between requests: the backends' last answers and the JSON bodies
 * rendered from them (one of each per gateway).
 */
export interface Reads {
  held: HeldAnswers;
  /** Lists and other bodies (few names, some large). */
  bodies: RenderedBodies;
  /** One app's body per app and embeds (many names, small): kept apart so that lists do not push them out. */
  appBodies: RenderedBodies;
}

/** `versions`: the backends' announced list versions, so that held answers are used without asking (none: always ask). */
export function createReads(backends: Backends, versions?: ListVersionWatch): Reads {
  return { held: new HeldAnswers(backends, versions), bodies: new RenderedBodies(), appBodies: new RenderedBodies(4_096) };
}

/**
 * Every HTTP request that is not a read may change what the backends answer: held answers are
 * asked for again (`HeldAnswers.invalidate`) before the caller sees its answer.
 */
export function invalidateOnWrites(app: FastifyInstance, reads: Reads): void {
  app.addHook("onSend", async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") reads.held.invalidate();
  });
}

/** Answers a rendered body as is, with its ETag (no second serialisation, hash or encoding). */
export function sendRendered(reply: FastifyReply, body: RenderedBody): FastifyReply {
  return reply.header("etag", body.etag).type("application/json; charset=utf-8").send(body.bytes);
}
