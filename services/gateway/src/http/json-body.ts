import type { FastifyInstance } from "fastify";
import { GantryError } from "@gantry/platform";

/** Largest request body accepted, in bytes (Marathon's default is 1 MiB too). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deepest nesting of arrays/objects accepted in a body; real definitions stay under 10. */
export const MAX_JSON_DEPTH = 32;

/**
 * Installs the one JSON body parser of the gateway: bodies over MAX_BODY_BYTES are refused
 * with 413 by fastify, malformed JSON and over-deep nesting with Marathon's 400 "Invalid JSON",
 * and any other content type with 415. Nothing reaches a backend unparsed.
 */
export function installJsonBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(["application/json", "text/json"], { parseAs: "string", bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return done(invalidJson((err as Error).message), undefined);
    }
    if (depthOf(parsed, 0) > MAX_JSON_DEPTH) return done(invalidJson(`nesting deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    done(null, parsed);
  });
  app.addContentTypeParser("*", (_req, _payload, done) => {
    done(new GantryError("InvalidArgument", "Unsupported Media Type: send application/json", { details: { kind: "media-type" } }), undefined);
  });
}

function invalidJson(reason: string): GantryError {
  return new GantryError("InvalidArgument", "Invalid JSON", { details: { kind: "json" }, violations: [{ path: "/", errors: [reason] }] });
}

function depthOf(value: unknown, depth: number): number {
  if (depth > MAX_JSON_DEPTH) return depth;
  if (value === null || typeof value !== "object") return depth;
  let max = depth + 1;
  for (const v of Array.isArray(value) ? value : Object.values(value)) max = Math.max(max, depthOf(v, depth + 1));
  return max;
}
