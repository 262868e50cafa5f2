import type { JsonObject } from "@bufbuild/protobuf";
import { GantryError } from "@gantry/platform";

/** A parsed query string as fastify hands it over: repeated names become arrays. */
export type Query = Record<string, string | string[] | undefined>;

function lastValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/**
 * A boolean query parameter read as Marathon (JAX-RS `Boolean.valueOf`) reads it: true exactly
 * when the value is `true` in any case, false for any other value (`?force`, `?force=1`), and
 * `fallback` when the parameter is absent. Never fails.
 */
export function booleanParam(query: Query, name: string, fallback: boolean): boolean {
  const value = lastValue(query[name]);
  if (value === undefined) return fallback;
  return value.toLowerCase() === "true";
}

/** A string query parameter (the last one when repeated), `""` when absent. */
export function stringParam(query: Query, name: string): string {
  return lastValue(query[name]) ?? "";
}

/**
 * The `embed` query parameters as a set (`embed` is repeatable; comma-separated values are
 * accepted too). Unknown embeds are kept: each endpoint ignores what it does not know, as Marathon does.
 */
export function embedParam(query: Query): Set<string> {
  const raw = query.embed;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return new Set(list.flatMap((e) => e.split(",")).map((e) => e.trim()).filter((e) => e !== ""));
}

/**
 * The absolute path id a URL path segment names, as Marathon's `PathId` parses it: leading,
 * trailing and repeated slashes dropped; `""` and `/` give the root `/`.
 */
export function canonicalId(raw: string): string {
  return "/" + raw.split("/").filter((s) => s !== "").join("/");
}

/**
 * A request body that must be one JSON object (an app, pod or group definition). Anything else
 * (no body, an array, a scalar) is Marathon's 400 "Invalid JSON" with the Play-JSON error code.
 */
export function requireObjectBody(body: unknown): JsonObject {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw invalidJson("/", "error.expected.jsobject");
  return body as JsonObject;
}

/** A request body that must be a JSON array of objects (batch app updates); 400 "Invalid JSON" otherwise. */
export function requireArrayOfObjects(body: unknown): JsonObject[] {
  if (!Array.isArray(body)) throw invalidJson("/", "error.expected.jsarray");
  body.forEach((item, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) throw invalidJson(`/${i}`, "error.expected.jsobject");
  });
  return body as JsonObject[];
}

function invalidJson(path: string, error: string): GantryError {
  return new GantryError("InvalidArgument", "Invalid JSON", { details: { kind: "json" }, violations: [{ path, errors: [error] }] });
}

/** A body that must be a JSON array of strings (ids): 400 otherwise. */
export function requireStringArray(body: unknown): string[] {
  if (!Array.isArray(body) || body.some((id) => typeof id !== "string")) throw badRequest("expected a JSON array of ids");
  return body as string[];
}

/** A 400 `{"message"}` for a request that is well-formed JSON but wrong for this endpoint. */
export function badRequest(message: string): GantryError {
  return new GantryError("InvalidArgument", message, { details: { kind: "request" } });
}
