import type { FastifyReply } from "fastify";
import type { Backends } from "../backends.ts";
import { HeldAnswers } from "./held-answers.ts";
import { RenderedBodies, type RenderedBody } from "./rendered-bodies.ts";

/**
 * What the read routes keep between requests: the backends' last answers and the JSON bodies
 * rendered from them (one of each per gateway).
 */
export interface Reads {
  held: HeldAnswers;
  bodies: RenderedBodies;
}

export function createReads(backends: Backends): Reads {
  return { held: new HeldAnswers(backends), bodies: new RenderedBodies() };
}

/** Answers a rendered body as is, with its ETag (no second serialisation, hash or encoding). */
export function sendRendered(reply: FastifyReply, body: RenderedBody): FastifyReply {
  return reply.header("etag", body.etag).type("application/json; charset=utf-8").send(body.bytes);
}
