/**
 * Agent attribute values as Marathon 1.4 compares them.
 *
 * Agents advertise attributes as strings; Mesos typed each one (`values::parse`) and Marathon
 * rendered the typed value back to a string (`Constraints.getValueString`) before comparing. The
 * round trip is not the identity (`4.0` → `"4"`, `[3-4,1-2]` → `"[1-4]"`), so every constraint
 * compares the rendered form, and so must we.
 */

/** The field name that means the agent's hostname, not an attribute (Marathon 1.4's only pseudo-field). */
export const HOSTNAME_FIELD = "hostname";

/** What a constraint looks at on an agent. `AgentNode` satisfies it. */
export interface ConstraintAgent {
  readonly hostname: string;
  /** Attribute name → the string the agent advertised (already split from `name:value;…`). */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * The string Marathon compares for attribute `field` of an agent, or `undefined` when the agent
 * does not advertise it. Typing follows Mesos `values::parse`, rendering Marathon 1.4.12:
 *
 * - every `' '` is removed first (Mesos does; `"my rack"` is `"myrack"`);
 * - `[b-e,…]` → RANGES: integer pairs, coalesced like Mesos (sorted, overlapping and adjacent
 *   ranges merged: `[3-4,1-2]` → `"[1-4]"`), rendered `[b-e,b-e]`;
 * - `{a,b}` → SET: items sorted (UTF-16 order, like Scala's), duplicates kept, rendered `{a,b}`;
 * - a number (`[+-]digits[.digits][e±n]`, `inf`, `nan`) → SCALAR, rendered like Java
 *   `NumberFormat.getInstance()` in the en-US locale: at most 3 fraction digits, HALF_EVEN on the
 *   exact binary value, grouping commas (`4.0` → `"4"`, `1.50` → `"1.5"`, `4096` → `"4,096"`,
 *   `-0.0001` → `"-0"`, `inf` → `"∞"`, `nan` → `"\uFFFD"`);
 * - anything else → TEXT, as is (after the space removal).
 *
 * Failure modes: none thrown. Strings Mesos refuses (mismatched brackets, `[` or `{` not first,
 * non-integer range bounds, an odd number of range bounds, an empty value) made the Mesos agent
 * exit at start; here they are TEXT. Mesos never accepted SET attributes (the agent exits); we
 * type them as the brief for Gantry agents asks.
 */
export function attributeValue(attributes: Readonly<Record<string, string>>, field: string): string | undefined {
  if (!Object.hasOwn(attributes, field)) return undefined;
  const raw = attributes[field];
  return raw === undefined ? undefined : renderAttribute(raw);
}

/**
 * The value of a constraint's `field` on an agent: the hostname for `"hostname"` (an attribute
 * named `hostname` is ignored, as in Marathon), else `attributeValue`. `undefined` = missing.
 */
export function fieldValue(agent: ConstraintAgent, field: string): string | undefined {
  return field === HOSTNAME_FIELD ? agent.hostname : attributeValue(agent.attributes, field);
}

/**
 * A constraint value normalised the way Marathon 1.6's `IS` does: a plain decimal
 * (`[0-9]+(\.[0-9]+)?`) is rendered as a scalar attribute would be (`"4.0"` → `"4"`), anything
 * else is left alone. We render with the same formatter as attribute values (1.6 dropped the
 * grouping commas on both sides), so `IS 4096` still equals a scalar attribute `4096`.
 */
export function normaliseIsValue(value: string): string {
  return /^[0-9]+(?:\.[0-9]+)?$/.test(value) ? formatJavaNumber(Number(value)) : value;
}

/** Typed and rendered; see `attributeValue`. */
function renderAttribute(raw: string): string {
  const text = raw.replaceAll(" ", "");
  if (text.length === 0 || !bracketsMatch(text)) return text;
  const bracket = text.indexOf("[");
  if (bracket === 0) return renderRanges(text) ?? text;
  if (bracket > 0) return text;
  const brace = text.indexOf("{");
  if (brace === 0) return renderSet(text);
  if (brace > 0) return text;
  const scalar = parseScalar(text);
  return scalar === undefined ? text : formatJavaNumber(scalar);
}

/** Mesos `strings::checkBracketsMatching` for {}, [] and (): never closes more than it opened, ends balanced. */
function bracketsMatch(text: string): boolean {
  for (const [open, close] of [["{", "}"], ["[", "]"], ["(", ")"]] as const) {
    let depth = 0;
    for (const c of text) {
      if (c === open) depth++;
      else if (c === close && --depth < 0) return false;
    }
    if (depth !== 0) return false;
  }
  return true;
}

/** Mesos `strings::tokenize`: split on any delimiter, drop empty tokens. */
function tokenize(text: string, delimiters: string): string[] {
  const out: string[] = [];
  let token = "";
  for (const c of text) {
    if (delimiters.includes(c)) {
      if (token) out.push(token);
      token = "";
    } else token += c;
  }
  if (token) out.push(token);
  return out;
}

const UINT64_MAX = (1n << 64n) - 1n;

function renderRanges(text: string): string | undefined {
  const tokens = tokenize(text, "[]-,\n");
  if (tokens.length % 2 !== 0) return undefined;
  const ranges: Array<{ start: bigint; end: bigint }> = [];
  for (let i = 0; i < tokens.length; i += 2) {
    const start = parseUint64(tokens[i]!);
    const end = parseUint64(tokens[i + 1]!);
    if (start === undefined || end === undefined) return undefined;
    ranges.push({ start, end });
  }
  // Mesos `coalesce`, step for step (including its handling of a range written backwards).
  ranges.sort((a, b) => (a.start !== b.start ? cmp(a.start, b.start) : cmp(a.end, b.end)));
  const merged: Array<{ start: bigint; end: bigint }> = [];
  let current = ranges[0];
  for (const r of ranges) {
    if (current === undefined) break;
    if (r.start === current.start && r.end === current.end) continue;
    if (r.start === current.start && r.end > current.end) current = { start: current.start, end: r.end };
    else if (r.start > current.start) {
      if (r.start <= current.end + 1n) current = { start: current.start, end: r.end > current.end ? r.end : current.end };
      else {
        merged.push(current);
        current = r;
      }
    }
  }
  if (current !== undefined) merged.push(current);
  // Marathon prints each bound with Java's signed Long.toString.
  return `[${merged.map((r) => `${BigInt.asIntN(64, r.start)}-${BigInt.asIntN(64, r.end)}`).join(",")}]`;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseUint64(token: string): bigint | undefined {
  if (!/^\+?[0-9]+$/.test(token)) return undefined;
  const v = BigInt(token.replace("+", ""));
  return v <= UINT64_MAX ? v : undefined;
}

function renderSet(text: string): string {
  // Plain `sort()` compares UTF-16 code units, as Scala's String ordering does.
  return `{${tokenize(text, "{},\n").sort().join(",")}}`;
}

/** boost::lexical_cast<double>: a decimal with optional sign, fraction and exponent, or inf/infinity/nan. */
function parseScalar(text: string): number | undefined {
  if (/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text)) {
    const v = Number(text);
    // Out of double range: lexical_cast fails, so Mesos keeps it as TEXT.
    return Number.isFinite(v) ? v : undefined;
  }
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (!special) return undefined;
  if (special[2]!.toLowerCase() === "nan") return Number.NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}

/**
 * Java 8 `NumberFormat.getInstance(Locale.US).format(double)`: pattern `#,##0.###`, HALF_EVEN.
 * Java rounds the exact binary value (JDK-7131459), so `0.0625` → `"0.062"`, `1.0005` → `"1"`;
 * whole numbers print Java's shortest digits (`1e23` → `"100,000,000,000,000,000,000,000"`).
 */
export function formatJavaNumber(x: number): string {
  if (Number.isNaN(x)) return "\uFFFD";
  const negative = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  if (abs === Infinity) return negative ? "-∞" : "∞";
  let integer: string;
  let fraction = "";
  if (Number.isInteger(abs)) {
    integer = expandShortest(abs);
  } else {
    const thousandths = roundHalfEvenThousandths(abs);
    integer = (thousandths / 1000n).toString();
    fraction = (thousandths % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  }
  const grouped = integer.replace(/\B(?=(?:[0-9]{3})+$)/g, ",");
  return `${negative ? "-" : ""}${grouped}${fraction ? `.${fraction}` : ""}`;
}

/** A whole double as a decimal integer from its shortest round-trip digits (what Java prints). */
function expandShortest(abs: number): string {
  const [mantissa, exponent] = abs.toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const zeros = Number(exponent) - (digits.length - 1);
  return zeros >= 0 ? digits + "0".repeat(zeros) : digits.slice(0, digits.length + zeros);
}

/** round(abs × 1000) HALF_EVEN, computed on the exact binary value of a finite, non-integer double. */
function roundHalfEvenThousandths(abs: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, abs);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fractionBits = bits & ((1n << 52n) - 1n);
  // abs = m × 2^-k exactly; a non-integer has k > 0.
  const m = biased === 0 ? fractionBits : fractionBits | (1n << 52n);
  const k = BigInt(1075 - (biased === 0 ? 1 : biased));
  const scaled = m * 1000n;
  const q = scaled >> k;
  const r = scaled - (q << k);
  const half = 1n << (k - 1n);
  return r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
}
