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
    const problem = checkJsonValue(parsed);
    if (problem) return done(invalidJson(problem.error, problem.path), undefined);
    done(null, parsed);
  });
  app.addContentTypeParser("*", (_req, _payload, done) => {
    done(new GantryError("InvalidArgument", "Unsupported Media Type: send application/json", { details: { kind: "media-type" } }), undefined);
  });
}

function invalidJson(reason: string, path = "/"): GantryError {
  return new GantryError("InvalidArgument", "Invalid JSON", { details: { kind: "json" }, violations: [{ path, errors: [reason] }] });
}

/**
 * The first thing in a parsed body that the backends cannot carry faithfully, with its JSON
 * pointer: nesting deeper than MAX_JSON_DEPTH, a number out of double range (`1e999` parses as
 * Infinity, which protobuf's Struct cannot write back as JSON), or a string or key with a lone
 * UTF-16 surrogate (it would silently become U+FFFD on the wire) or a U+0000 (PostgreSQL's
 * jsonb, where the event log keeps definitions, cannot store it). `undefined` when all is well.
 */
export function checkJsonValue(value: unknown, path = "", depth = 0): { path: string; error: string } | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : { path: path || "/", error: "error.expected.numberinrange" };
  if (typeof value === "string") return stringProblem(value, path || "/");
  if (value === null || typeof value !== "object") return undefined;
  if (depth >= MAX_JSON_DEPTH) return { path: path || "/", error: `nesting deeper than ${MAX_JSON_DEPTH} levels` };
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, child] of entries) {
    const childPath = `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    const keyProblem = stringProblem(key, childPath);
    if (keyProblem) return keyProblem;
    const problem = checkJsonValue(child, childPath, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

function stringProblem(s: string, path: string): { path: string; error: string } | undefined {
  if (!s.isWellFormed()) return { path, error: "error.expected.unicode" };
  if (s.includes("\u0000")) return { path, error: "error.expected.nonul" };
  return undefined;
}
