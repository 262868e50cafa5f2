/**
 * Marathon path ids (`M/state/PathId.scala`): slash-separated segments naming apps, pods and
 * groups. Ids arrive absolute (`/prod/web`) or relative (`web`, `../db`, `./x`) and are
 * canonicalised against a base (the parent group for apps in groups, the root for
 * `POST /v2/apps`, the app itself for its `dependencies`).
 *
 * Canonical form: `/` followed by segments joined with `/`, no `.`/`..`, no empty segments;
 * the root is `/`.
 */
import { fullPattern, type FullPattern } from "./field-validators.ts";

/** Marathon's `ID_PATH_SEGMENT_PATTERN`, printed as Marathon prints it in errors. */
export const ID_PATH_SEGMENT_PATTERN: FullPattern = fullPattern(
  "^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$",
);

/** `PathId.absolutePathValidator`'s message (pods: the body's id must start with `/`). */
export const ABSOLUTE_PATH_MESSAGE = "Path needs to be absolute";

/** True when `id` is written absolute (`/a/b`); Marathon's `PathId.absolute`. */
export function isAbsolute(id: string): boolean {
  return parsePathId(id).absolute;
}

/** The root group id. */
export const ROOT_ID = "/";

/** A parsed id: whether it started with `/` and its non-empty segments (may hold `.`/`..`). */
export interface ParsedPathId {
  absolute: boolean;
  segments: string[];
}

/** Splits an id as `PathId("…")` does: leading/trailing `/` stripped, empty segments dropped. */
export function parsePathId(id: string): ParsedPathId {
  return { absolute: id.startsWith("/"), segments: id.split("/").filter((s) => s.length > 0) };
}

/** The raw segments of `id` that do not match `ID_PATH_SEGMENT_PATTERN` (before `.`/`..` resolution). */
export function invalidSegments(id: string): string[] {
  return parsePathId(id).segments.filter((s) => !ID_PATH_SEGMENT_PATTERN.test(s));
}

/**
 * Resolves `id` against the absolute `base` (Marathon's `canonicalPath`): absolute ids ignore
 * the base; `.` is dropped; `..` removes the previous segment and stays at the root when there
 * is none.
 */
export function canonicalPath(id: string, base: string = ROOT_ID): string {
  const parsed = parsePathId(id);
  const start = parsed.absolute ? [] : parsePathId(base).segments;
  const out: string[] = [];
  for (const seg of [...start, ...parsed.segments]) {
    if (seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

/** True for the root id `/`. */
export function isRoot(id: string): boolean {
  return parsePathId(id).segments.length === 0;
}

/** True for an id already in canonical form: `/`, or `/a/b` (no empty segment, no trailing `/`). */
function isPlainAbsolute(id: string): boolean {
  return id === ROOT_ID || (id.startsWith("/") && !id.endsWith("/") && !id.includes("//"));
}

/** The parent of a canonical id; the root's parent is the root. (Whole-tree checks call it per member per change: no split for plain ids.) */
export function parentOf(id: string): string {
  if (isPlainAbsolute(id)) {
    const last = id.lastIndexOf("/");
    return last <= 0 ? ROOT_ID : id.slice(0, last);
  }
  const segments = parsePathId(id).segments;
  return `/${segments.slice(0, -1).join("/")}`;
}

/** True when canonical `id` is a direct child of canonical `parent` (Marathon's `childOf`). */
export function isChildOf(id: string, parent: string): boolean {
  return !isRoot(id) && parentOf(id) === canonicalPath(parent);
}

/** True when canonical `id` equals `ancestor` or lies anywhere below it. */
export function isUnder(id: string, ancestor: string): boolean {
  if (isPlainAbsolute(id) && isPlainAbsolute(ancestor)) return ancestor === ROOT_ID || id === ancestor || id.startsWith(`${ancestor}/`);
  const a = parsePathId(ancestor).segments;
  const s = parsePathId(id).segments;
  return a.length <= s.length && a.every((seg, i) => s[i] === seg);
}

/** Segments joined with `_`, as used in task ids (`/tools/docker/registry` → `tools_docker_registry`). */
export function safePath(id: string): string {
  return parsePathId(id).segments.join("_");
}

/** Marathon's hint when an id in a group body is not a direct child of the group. */
export function notChildMessage(id: string, parent: string): string {
  return `identifier ${id} is not child of ${parent}. Hint: use relative paths.`;
}
