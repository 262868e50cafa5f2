/**
 * Small, reusable pieces for reading and validating Marathon JSON by hand.
 *
 * Validation runs in two phases, like Marathon's Play-JSON readers followed by its Accord
 * validators:
 *   1. *shape* (readers below): wrong JSON types, missing required fields, unknown enum values.
 *      Marathon answers these with 400 `Invalid JSON` and Play error keys (`error.expected.jsstring`).
 *   2. *rules* (checks below): value ranges, cross-field rules. Marathon answers 422
 *      `Object is not valid` with Accord's wording (`got -1, expected 0 or more`).
 * Rules only run when the shape is right, so a caller never sees a mix of both.
 *
 * Paths are kept as segment lists and rendered once at the end, either as JSON pointers
 * (`/healthChecks/0/protocol`, Gantry's default) or in Marathon's own notation
 * (`/healthChecks(0)/protocol`, what Play and Marathon's Accord renderer print).
 */
import type { FieldViolation } from "@gantry/platform";

/** One step of a path: an object key or an array index. */
export type PathSegment = string | number;
/** A path from the document root; `[]` is the root itself (`/`). */
export type Path = readonly PathSegment[];
/** How array indexes are rendered: `pointer` → `/a/0/b`, `marathon` → `/a(0)/b`. */
export type PathStyle = "pointer" | "marathon";

/** Marathon's top-level message for a shape error (HTTP 400). */
export const INVALID_JSON = "Invalid JSON";
/** Marathon's top-level message for a rule violation (HTTP 422). */
export const OBJECT_NOT_VALID = "Object is not valid";

/**
 * A failed validation: `message` tells the edge which HTTP status Marathon would use
 * (`Invalid JSON` → 400, `Object is not valid` → 422); `violations` are grouped by path in
 * the order first seen, each message at most once per path.
 */
export interface ValidationFailure {
  ok: false;
  message: typeof INVALID_JSON | typeof OBJECT_NOT_VALID;
  violations: FieldViolation[];
}

/** Play-JSON error keys used for shape errors (what Marathon 1.4 puts in 400 details). */
export const ShapeError = {
  string: "error.expected.jsstring",
  number: "error.expected.jsnumber",
  int: "error.expected.int",
  boolean: "error.expected.jsboolean",
  array: "error.expected.jsarray",
  object: "error.expected.jsobject",
  enumValue: "error.expected.validenumvalue",
  missing: "error.path.missing",
  minLength: "error.minLength",
} as const;

interface Issue {
  path: Path;
  message: string;
}

/**
 * Collects shape errors and rule violations while a document is read and checked.
 * Invariant: rules are only reported when there are no shape errors (see `failure`).
 */
export class Issues {
  readonly shape: Issue[] = [];
  readonly rules: Issue[] = [];

  /** Records a shape (400) error at `path`. */
  typeError(path: Path, message: string): void {
    this.shape.push({ path, message });
  }

  /** Records a rule (422) violation at `path`. */
  violation(path: Path, message: string): void {
    this.rules.push({ path, message });
  }

  /** True once any shape error was recorded: rule checks are then skipped. */
  get hasShapeErrors(): boolean {
    return this.shape.length > 0;
  }

  /** The failure to return, or undefined when nothing was recorded. Shape errors win. */
  failure(style: PathStyle = "pointer"): ValidationFailure | undefined {
    if (this.shape.length > 0) return { ok: false, message: INVALID_JSON, violations: group(this.shape, style) };
    if (this.rules.length > 0) return { ok: false, message: OBJECT_NOT_VALID, violations: group(this.rules, style) };
    return undefined;
  }
}

function group(issues: readonly Issue[], style: PathStyle): FieldViolation[] {
  const byPath = new Map<string, string[]>();
  for (const issue of issues) {
    const key = renderPath(issue.path, style);
    const errors = byPath.get(key);
    if (errors === undefined) byPath.set(key, [issue.message]);
    else if (!errors.includes(issue.message)) errors.push(issue.message);
  }
  return [...byPath].map(([path, errors]) => ({ path, errors }));
}

/** Renders a path: `[]` → `/`; `["a", 0, "b"]` → `/a/0/b` (pointer) or `/a(0)/b` (marathon). */
export function renderPath(path: Path, style: PathStyle = "pointer"): string {
  if (path.length === 0) return "/";
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number" && style === "marathon") out += `(${seg})`;
    else out += `/${seg}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Phase 1: readers. A reader returns the typed value, or undefined after recording a shape error.

/** Reads one JSON value at `path`; undefined means "not usable" (an error was recorded). */
export type Reader<T> = (value: unknown, path: Path, issues: Issues) => T | undefined;

/** A plain JSON object (not null, not an array). */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value of an own property; JSON `null` counts as absent (Play's `readNullable`). */
export function field(obj: JsonObject, key: string): unknown {
  if (!Object.hasOwn(obj, key)) return undefined;
  const v = obj[key];
  return v === null ? undefined : v;
}

/** True when the property is present and not null. */
export function has(obj: JsonObject, key: string): boolean {
  return field(obj, key) !== undefined;
}

/** Reads a JSON string. */
export const str: Reader<string> = (v, path, is) => {
  if (typeof v === "string") return v;
  is.typeError(path, ShapeError.string);
  return undefined;
};

/** Reads a JSON number (Play `Double`). */
export const num: Reader<number> = (v, path, is) => {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  is.typeError(path, ShapeError.number);
  return undefined;
};

const INT32_MIN = -2147483648;
/** The largest Play `Int` (Marathon's instance counts, ports, …). */
export const INT32_MAX = 2147483647;

/** Reads a 32-bit integer (Play `Int`): a non-number is `jsnumber`, a fraction or overflow is `int`. */
export const int: Reader<number> = (v, path, is) => {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    is.typeError(path, ShapeError.number);
    return undefined;
  }
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
    is.typeError(path, ShapeError.int);
    return undefined;
  }
  return v;
};

/** Reads a JSON boolean. */
export const bool: Reader<boolean> = (v, path, is) => {
  if (typeof v === "boolean") return v;
  is.typeError(path, ShapeError.boolean);
  return undefined;
};

/** Reads a JSON object (as is; callers read its fields). */
export const obj: Reader<JsonObject> = (v, path, is) => {
  if (isObject(v)) return v;
  is.typeError(path, ShapeError.object);
  return undefined;
};

/**
 * A reader of a JSON object: `read` gets its fields once the value is an object (else
 * `error.expected.jsobject` is recorded and the reader answers undefined).
 */
export function objectReader<T>(read: (o: JsonObject, path: Path, is: Issues) => T | undefined): Reader<T> {
  return (v, path, is) => {
    const o = obj(v, path, is);
    return o === undefined ? undefined : read(o, path, is);
  };
}

/** Reads a string that must be one of `values` (Play's enum reads). */
export function oneOf<T extends string>(values: readonly T[]): Reader<T> {
  return (v, path, is) => {
    const s = str(v, path, is);
    if (s === undefined) return undefined;
    if ((values as readonly string[]).includes(s)) return s as T;
    is.typeError(path, ShapeError.enumValue);
    return undefined;
  };
}

/** Reads an array whose items are read by `item`; items that fail are dropped (their errors kept). */
export function arrayOf<T>(item: Reader<T>): Reader<T[]> {
  return (v, path, is) => {
    if (!Array.isArray(v)) {
      is.typeError(path, ShapeError.array);
      return undefined;
    }
    const out: T[] = [];
    v.forEach((raw: unknown, i) => {
      const value = item(raw, [...path, i], is);
      if (value !== undefined) out.push(value);
    });
    return out;
  };
}

/** Reads a JSON object used as a map; values are read by `item`. Keys keep their input order. */
export function mapOf<T>(item: Reader<T>): Reader<Record<string, T>> {
  return (v, path, is) => {
    if (!isObject(v)) {
      is.typeError(path, ShapeError.object);
      return undefined;
    }
    const entries: [string, T][] = [];
    for (const [key, raw] of Object.entries(v)) {
      const value = item(raw, [...path, key], is);
      if (value !== undefined) entries.push([key, value]);
    }
    // fromEntries defines own properties, so a key like "__proto__" stays plain data.
    return Object.fromEntries(entries);
  };
}

/** Reads an optional field of `o`: absent or null → undefined with no error. */
export function opt<T>(o: JsonObject, key: string, reader: Reader<T>, path: Path, is: Issues): T | undefined {
  const v = field(o, key);
  return v === undefined ? undefined : reader(v, [...path, key], is);
}

/** Reads a required field of `o`: absent or null → `error.path.missing`. */
export function req<T>(o: JsonObject, key: string, reader: Reader<T>, path: Path, is: Issues): T | undefined {
  const v = field(o, key);
  if (v === undefined) {
    is.typeError([...path, key], ShapeError.missing);
    return undefined;
  }
  return reader(v, [...path, key], is);
}

/** Reads a map of string → string (labels). */
export const stringMap: Reader<Record<string, string>> = mapOf(str);
/** Reads an array of strings. */
export const stringArray: Reader<string[]> = arrayOf(str);

// ---------------------------------------------------------------------------------------------
// Phase 2: rules, worded as Marathon's validators (Accord) word them.

/** Whether a number is printed as a Scala Int (`1`) or Double (`1.0`). */
export type NumberKind = "int" | "double";

/** Prints a number as Scala/Java would: doubles always carry a fraction (`0.0`, `1.0E7`). */
export function formatNumber(n: number, kind: NumberKind): string {
  if (kind === "int") return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) {
    const [mantissa = "0", exponent = "0"] = n.toExponential().split("e");
    const m = mantissa.includes(".") ? mantissa : `${mantissa}.0`;
    return `${m}E${Number(exponent)}`;
  }
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** `v >= bound`, else `got v, expected bound or more`. */
export function atLeast(is: Issues, path: Path, v: number, bound: number, kind: NumberKind): void {
  if (!(v >= bound)) is.violation(path, `got ${formatNumber(v, kind)}, expected ${formatNumber(bound, kind)} or more`);
}

/** `v <= bound`, else `got v, expected bound or less`. */
export function atMost(is: Issues, path: Path, v: number, bound: number, kind: NumberKind): void {
  if (!(v <= bound)) is.violation(path, `got ${formatNumber(v, kind)}, expected ${formatNumber(bound, kind)} or less`);
}

/** `v > bound`, else `got v, expected more than bound`. */
export function moreThan(is: Issues, path: Path, v: number, bound: number, kind: NumberKind): void {
  if (!(v > bound)) is.violation(path, `got ${formatNumber(v, kind)}, expected more than ${formatNumber(bound, kind)}`);
}

/** `v < bound`, else `got v, expected less than bound`. */
export function lessThan(is: Issues, path: Path, v: number, bound: number, kind: NumberKind): void {
  if (!(v < bound)) is.violation(path, `got ${formatNumber(v, kind)}, expected less than ${formatNumber(bound, kind)}`);
}

/** `v == expected`, else `got v, expected expected` (Accord's `should be ==`). */
export function equalTo(is: Issues, path: Path, v: number, expected: number, kind: NumberKind): void {
  if (v !== expected) is.violation(path, `got ${formatNumber(v, kind)}, expected ${formatNumber(expected, kind)}`);
}

/** `lo <= v <= hi`, else `got v, expected between lo and hi`. */
export function between(is: Issues, path: Path, v: number, lo: number, hi: number, kind: NumberKind = "int"): void {
  if (!(v >= lo && v <= hi)) {
    is.violation(path, `got ${formatNumber(v, kind)}, expected between ${formatNumber(lo, kind)} and ${formatNumber(hi, kind)}`);
  }
}

/** A string, array or map must not be empty: `must not be empty`. */
export function notEmpty(is: Issues, path: Path, v: string | readonly unknown[] | object): void {
  const empty = typeof v === "string" || Array.isArray(v) ? (v as string | unknown[]).length === 0 : Object.keys(v).length === 0;
  if (empty) is.violation(path, "must not be empty");
}

/**
 * A regular expression checked as Java's `String.matches` does (the whole string must match).
 * `source` is the pattern as Marathon prints it in its message.
 */
export interface FullPattern {
  readonly source: string;
  readonly test: (s: string) => boolean;
}

/** Builds a full-match pattern from Marathon's Java source; the JS form anchors the alternation. */
export function fullPattern(source: string): FullPattern {
  let body = source;
  if (body.startsWith("^")) body = body.slice(1);
  if (body.endsWith("$")) body = body.slice(0, -1);
  const re = new RegExp(`^(?:${body})$`);
  return { source, test: (s) => re.test(s) };
}

/** `must fully match regular expression '<source>'` (Accord's `matchRegexFully`). */
export function matchesFully(is: Issues, path: Path, v: string, pattern: FullPattern): void {
  if (!pattern.test(v)) is.violation(path, `must fully match regular expression '${pattern.source}'`);
}

/** Records `message` at `path` unless `ok` (Marathon's `isTrue`). */
export function check(is: Issues, path: Path, ok: boolean, message: string): void {
  if (!ok) is.violation(path, message);
}

/** True when every value is distinct (by `===` on the key). */
export function allUnique<T>(values: readonly T[]): boolean {
  return new Set(values).size === values.length;
}

/** `is not one of (a,b,c)` (Marathon's `oneOf`). */
export function isOneOf(is: Issues, path: Path, v: string, options: readonly string[]): void {
  if (!options.includes(v)) is.violation(path, `is not one of (${options.join(",")})`);
}

/** Marathon's message for a feature flag that is off. The unbalanced `)` is Marathon's. */
export function featureNotEnabled(feature: string): string {
  return `Feature ${feature} is not enabled. Enable with --enable_features ${feature})`;
}

/** Deep structural equality of JSON values (objects compared key-order-insensitively). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
