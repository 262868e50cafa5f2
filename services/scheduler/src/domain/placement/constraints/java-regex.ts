/**
 * Java's `String.matches(regex)` in JavaScript: Marathon's LIKE and UNLIKE.
 *
 * Java anchors the whole input (`Pattern.matches`), and its syntax and classes differ from
 * JavaScript's in ways that change answers (`\s`, `.`, `$`, `\b`, `[a[b]]`, `&&`, `\Q…\E`,
 * possessive quantifiers, inline flags). So the Java pattern is parsed and re-emitted as an
 * anchored JavaScript RegExp (flag `v`: code points, like Java, and nested classes); nothing is
 * passed through unread.
 */

/** A compiled Java pattern, or why there is none. */
export type CompiledJavaRegex =
  | { readonly ok: true; readonly regex: RegExp; readonly source: string }
  | {
      readonly ok: false;
      /** `invalid`: Java's Pattern.compile rejects it too; `unsupported`: valid Java we do not translate. */
      readonly kind: "invalid" | "unsupported";
      readonly error: string;
      readonly source: string;
    };

const CACHE_LIMIT = 1024;
const cache = new Map<string, CompiledJavaRegex>();

/**
 * Compiles a Java regular expression into an anchored JavaScript RegExp that accepts exactly the
 * strings Java's `input.matches(pattern)` accepts (Java 8, Marathon 1.4's runtime). Results are
 * cached per pattern (the most recent 1024), so a constraint pays for its pattern once.
 *
 * Translated: literals, `.`, `|`, groups (capturing, named, non-capturing, lookaround, atomic),
 * greedy/lazy/possessive quantifiers, `\Q…\E`, octal/hex/unicode/control escapes, `\d \s \w \h \v`
 * and negations with Java's ASCII meaning, `\p{…}` (POSIX names, general categories, scripts,
 * common binary properties), classes with ranges, unions `[a[b]]` and intersections `[a&&[b]]`,
 * `^ $ \A \z \Z \G \b \B \R`, inline flags `i d m s x` (scoped like Java's).
 *
 * Failure modes (no throw): `invalid` for what Java rejects (dangling quantifier, unclosed group
 * or class, bad escape, bad range, unbounded look-behind); `unsupported` for backreferences,
 * flags `u`/`U`, `\p{In…}` blocks, java* properties, and negated classes holding nested classes
 * or `&&` (Java 8 gives those surprising meanings). Case-insensitivity is Java's default ASCII one;
 * it does not reach `\p{…}` classes. `\b` counts letters and digits of any script as word
 * characters, as Java 8 does, but ignores Java's special case for non-spacing marks.
 */
export function compileJavaRegex(pattern: string): CompiledJavaRegex {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  let compiled: CompiledJavaRegex;
  try {
    const body = new Translator(pattern).translate();
    const source = `^(?:${body})$`;
    try {
      compiled = { ok: true, regex: new RegExp(source, "v"), source: pattern };
    } catch (e) {
      compiled = { ok: false, kind: "unsupported", error: `no JavaScript equivalent (${(e as Error).message})`, source: pattern };
    }
  } catch (e) {
    if (!(e instanceof RegexSyntaxError)) throw e;
    compiled = { ok: false, kind: e.kind, error: e.message, source: pattern };
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(pattern, compiled);
  return compiled;
}

/**
 * Java's `input.matches(pattern)`: `true`/`false`, or the compile failure when the pattern has no
 * translation (see `compileJavaRegex`). Never throws.
 */
export function javaMatches(input: string, pattern: string): boolean | Extract<CompiledJavaRegex, { ok: false }> {
  const c = compileJavaRegex(pattern);
  return c.ok ? c.regex.test(input) : c;
}

class RegexSyntaxError extends Error {
  readonly kind: "invalid" | "unsupported";
  constructor(kind: "invalid" | "unsupported", message: string) {
    super(message);
    this.kind = kind;
  }
}

interface Flags {
  i: boolean;
  d: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
}

/** A class item: the body of a v-mode class, plus the positive set when it is a plain char or range (for CI). */
type ClassItem = { kind: "set"; body: string } | { kind: "char"; cp: number } | { kind: "range"; from: number; to: number };

const BS = 0x5c;
const ch = (s: string) => s.codePointAt(0)!;
const hex = (cp: number) => `\\u{${cp.toString(16)}}`;
const isAsciiDigit = (cp: number) => cp >= 0x30 && cp <= 0x39;
const isAsciiAlpha = (cp: number) => (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
const isOctal = (cp: number) => cp >= 0x30 && cp <= 0x37;
const isHex = (cp: number) => isAsciiDigit(cp) || (cp >= 0x41 && cp <= 0x46) || (cp >= 0x61 && cp <= 0x66);
/** Java's ASCII.isSpace: what comments mode skips. */
const isJavaSpace = (cp: number) => cp === 0x20 || (cp >= 0x09 && cp <= 0x0d);

// Java 8's predefined classes, as v-mode class bodies.
const SPACE = "\\u{9}-\\u{d}\\u{20}";
const WORD = "a-zA-Z_0-9";
const HSPACE = "\\u{20}\\u{9}\\u{a0}\\u{1680}\\u{180e}\\u{2000}-\\u{200a}\\u{202f}\\u{205f}\\u{3000}";
const VSPACE = "\\u{a}-\\u{d}\\u{85}\\u{2028}\\u{2029}";
const LINE_TERMINATORS = "\\u{a}\\u{d}\\u{85}\\u{2028}\\u{2029}";
const JAVA_WORD = "[\\p{L}\\p{Nd}_]";

const POSIX: Readonly<Record<string, string>> = {
  Lower: "a-z",
  Upper: "A-Z",
  ASCII: "\\u{0}-\\u{7f}",
  Alpha: "a-zA-Z",
  Digit: "0-9",
  Alnum: "a-zA-Z0-9",
  Punct: "\\u{21}-\\u{2f}\\u{3a}-\\u{40}\\u{5b}-\\u{60}\\u{7b}-\\u{7e}",
  Graph: "\\u{21}-\\u{7e}",
  Print: "\\u{20}-\\u{7e}",
  Blank: "\\u{20}\\u{9}",
  Cntrl: "\\u{0}-\\u{1f}\\u{7f}",
  XDigit: "0-9a-fA-F",
  Space: SPACE,
  L1: "\\u{0}-\\u{ff}",
  all: "\\u{0}-\\u{10ffff}",
  LD: "\\p{L}\\p{Nd}",
};
const CATEGORIES = new Set(
  "Cn Lu Ll Lt Lm Lo Mn Me Mc Nd Nl No Zs Zl Zp Cc Cf Co Cs Pd Ps Pe Pc Po Sm Sc Sk So Pi Pf L M N Z C P S LC".split(" "),
);
/** Java's UnicodeProp names (upper-cased, as Java looks them up) that have a JavaScript property. */
const UNICODE_PROPS: Readonly<Record<string, string>> = {
  ALPHABETIC: "\\p{Alphabetic}",
  LETTER: "\\p{L}",
  IDEOGRAPHIC: "\\p{Ideographic}",
  LOWERCASE: "\\p{Lowercase}",
  UPPERCASE: "\\p{Uppercase}",
  TITLECASE: "\\p{Lt}",
  WHITE_SPACE: "\\p{White_Space}",
  WHITESPACE: "\\p{White_Space}",
  CONTROL: "\\p{Cc}",
  PUNCTUATION: "\\p{P}",
  JOIN_CONTROL: "\\p{Join_Control}",
  JOINCONTROL: "\\p{Join_Control}",
  NONCHARACTER_CODE_POINT: "\\p{Noncharacter_Code_Point}",
  NONCHARACTERCODEPOINT: "\\p{Noncharacter_Code_Point}",
  DIGIT: "\\p{Nd}",
  ASSIGNED: "[^\\p{Cn}]",
};
/** Java UnicodeProp names whose Unicode meaning has no one-property JavaScript twin. */
const UNSUPPORTED_UNICODE_PROPS = new Set(["ALNUM", "BLANK", "GRAPH", "PRINT", "WORD", "HEX_DIGIT", "HEXDIGIT"]);

class Translator {
  private readonly cps: number[] = [];
  /** Code points that came from inside `\Q…\E`: always literal. */
  private readonly quoted: boolean[] = [];
  private pos = 0;
  private flags: Flags = { i: false, d: false, m: false, s: false, x: false };
  private lookbehindDepth = 0;
  private atomicGroups = 0;

  constructor(pattern: string) {
    // Java's RemoveQEQuoting, as a "quoted" mark instead of added backslashes.
    const all = Array.from(pattern, (c) => c.codePointAt(0)!);
    for (let i = 0; i < all.length; i++) {
      const c = all[i]!;
      if (c === BS && all[i + 1] === ch("Q")) {
        i += 2;
        while (i < all.length && !(all[i] === BS && all[i + 1] === ch("E"))) {
          this.cps.push(all[i]!);
          this.quoted.push(true);
          i++;
        }
        i++; // past the `E` of `\E` (or the end)
        continue;
      }
      this.cps.push(c);
      this.quoted.push(false);
      if (c === BS && i + 1 < all.length) {
        this.cps.push(all[++i]!);
        this.quoted.push(false);
      }
    }
  }

  translate(): string {
    const out = this.alternation();
    if (this.pos < this.cps.length) throw this.invalid("Unmatched closing ')'");
    return out;
  }

  private invalid(message: string): RegexSyntaxError {
    return new RegexSyntaxError("invalid", `${message} near index ${this.pos}`);
  }

  private unsupported(message: string): RegexSyntaxError {
    return new RegexSyntaxError("unsupported", message);
  }

  /** The next code point that is not a comment or skipped whitespace (`x` flag); -1 at the end. */
  private peek(): number {
    if (this.flags.x) {
      while (this.pos < this.cps.length && !this.quoted[this.pos]) {
        const c = this.cps[this.pos]!;
        if (isJavaSpace(c)) this.pos++;
        else if (c === ch("#")) {
          while (this.pos < this.cps.length && !this.isLineTerminator(this.cps[this.pos]!)) this.pos++;
        } else break;
      }
    }
    return this.pos < this.cps.length ? this.cps[this.pos]! : -1;
  }

  private isLineTerminator(c: number): boolean {
    return this.flags.d ? c === 0x0a : c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
  }

  /** The code point at pos is a metacharacter (not quoted) equal to `c`. */
  private isMeta(c: string): boolean {
    return this.peek() === ch(c) && !this.quoted[this.pos];
  }

  private alternation(): string {
    const branches = [this.sequence()];
    while (this.isMeta("|")) {
      this.pos++;
      branches.push(this.sequence());
    }
    return branches.join("|");
  }

  private sequence(): string {
    let out = "";
    for (;;) {
      const c = this.peek();
      if (c === -1) break;
      const q = this.quoted[this.pos];
      if (!q && (c === ch("|") || c === ch(")"))) break;
      let atom: string | null;
      if (q) {
        this.pos++;
        atom = this.literal(c);
      } else if (c === ch("(")) {
        atom = this.group();
        if (atom === null) continue; // (?flags): nothing to quantify
      } else if (c === ch("[")) {
        atom = this.classAtom();
      } else if (c === BS) {
        atom = this.escapeAtom();
      } else if (c === ch("^")) {
        this.pos++;
        atom = this.caret();
      } else if (c === ch("$")) {
        this.pos++;
        atom = this.dollar(this.flags.m);
      } else if (c === ch(".")) {
        this.pos++;
        atom = this.flags.s ? "[\\u{0}-\\u{10ffff}]" : this.flags.d ? "[^\\u{a}]" : `[^${LINE_TERMINATORS}]`;
      } else if (c === ch("?") || c === ch("*") || c === ch("+")) {
        throw this.invalid(`Dangling meta character '${String.fromCodePoint(c)}'`);
      } else if (c === ch("{")) {
        atom = "(?:)"; // Java quantifies an empty slice here
      } else {
        this.pos++;
        atom = this.literal(c);
      }
      out += this.quantified(atom);
    }
    return out;
  }

  /** Java's closure(): an optional quantifier after an atom. */
  private quantified(atom: string): string {
    const c = this.peek();
    if (c === -1 || this.quoted[this.pos]) return atom;
    let quantifier: string;
    let unbounded = false;
    if (c === ch("*") || c === ch("+") || c === ch("?")) {
      this.pos++;
      quantifier = String.fromCodePoint(c);
      unbounded = c !== ch("?");
    } else if (c === ch("{")) {
      this.pos++;
      const min = this.digits();
      if (min === undefined) throw this.invalid("Illegal repetition");
      let max: string | undefined = min;
      if (this.cps[this.pos] === ch(",")) {
        this.pos++;
        max = this.digits();
      }
      if (this.cps[this.pos] !== ch("}")) throw this.invalid("Unclosed counted closure");
      this.pos++;
      if (max !== undefined && BigInt(max) < BigInt(min)) throw this.invalid("Illegal repetition range");
      unbounded = max === undefined;
      quantifier = max === min ? `{${min}}` : `{${min},${max ?? ""}}`;
    } else return atom;
    if (unbounded && this.lookbehindDepth > 0) throw this.invalid("Look-behind group does not have an obvious maximum length");
    const body = `(?:${atom})${quantifier}`;
    if (this.isMeta("?")) {
      this.pos++;
      return `${body}?`;
    }
    if (this.isMeta("+")) {
      this.pos++;
      return this.atomic(body);
    }
    return body;
  }

  private digits(): string | undefined {
    const start = this.pos;
    while (this.pos < this.cps.length && isAsciiDigit(this.cps[this.pos]!)) this.pos++;
    return this.pos > start ? String.fromCodePoint(...this.cps.slice(start, this.pos)) : undefined;
  }

  /** Atomic group / possessive quantifier: a look-ahead captures, a backreference consumes without backtracking. */
  private atomic(body: string): string {
    const name = `_a${++this.atomicGroups}`;
    return `(?=(?<${name}>${body}))\\k<${name}>`;
  }

  private literal(cp: number): string {
    if (this.flags.i && isAsciiAlpha(cp)) {
      const lower = cp | 0x20;
      return `[${String.fromCodePoint(lower)}${String.fromCodePoint(lower & ~0x20)}]`;
    }
    return isAsciiAlpha(cp) || isAsciiDigit(cp) ? String.fromCodePoint(cp) : hex(cp);
  }

  private caret(): string {
    if (!this.flags.m) return "^";
    if (this.flags.d) return "(?!$)(?:^|(?<=\\u{a}))";
    return `(?!$)(?:^|(?<=[${LINE_TERMINATORS}]))(?!(?<=\\u{d})\\u{a})`;
  }

  private dollar(multiline: boolean): string {
    if (this.flags.d) return multiline ? "(?=\\u{a}|$)" : "(?=\\u{a}?$)";
    if (multiline) return `(?:$|(?=[${LINE_TERMINATORS}]))(?!(?<=\\u{d})\\u{a})`;
    return `(?=(?:\\u{d}\\u{a}|[${LINE_TERMINATORS}])?$)(?!(?<=\\u{d})\\u{a})`;
  }

  /** `(` … `)`; null for a flags-only group `(?i)`. */
  private group(): string | null {
    this.pos++; // (
    const saved = { ...this.flags };
    let open: string;
    let atomic = false;
    let lookbehind = false;
    if (this.cps[this.pos] === ch("?") && !this.quoted[this.pos]) {
      this.pos++;
      const c = this.cps[this.pos];
      const next = this.cps[this.pos + 1];
      if (c === ch(":")) {
        this.pos++;
        open = "(?:";
      } else if (c === ch("=") || c === ch("!")) {
        this.pos++;
        open = `(?${String.fromCodePoint(c)}`;
      } else if (c === ch(">")) {
        this.pos++;
        open = "(?:";
        atomic = true;
      } else if (c === ch("<") && (next === ch("=") || next === ch("!"))) {
        this.pos += 2;
        open = `(?<${String.fromCodePoint(next)}`;
        lookbehind = true;
      } else if (c === ch("<")) {
        this.pos++;
        open = `(?<${this.groupName()}>`;
      } else {
        this.inlineFlags();
        const end = this.cps[this.pos];
        this.pos++;
        if (end === ch(")")) return null; // flags stay set until the enclosing group ends
        if (end !== ch(":")) throw this.invalid("Unknown inline modifier");
        open = "(?:";
      }
    } else {
      open = "(";
    }
    if (lookbehind) this.lookbehindDepth++;
    const inner = this.alternation();
    if (lookbehind) this.lookbehindDepth--;
    if (!this.isMeta(")")) throw this.invalid("Unclosed group");
    this.pos++;
    this.flags = saved;
    const group = `${open}${inner})`;
    return atomic ? this.atomic(group) : group;
  }

  private groupName(): string {
    const start = this.pos;
    while (this.pos < this.cps.length && (isAsciiAlpha(this.cps[this.pos]!) || isAsciiDigit(this.cps[this.pos]!))) this.pos++;
    const name = String.fromCodePoint(...this.cps.slice(start, this.pos));
    if (!name || !isAsciiAlpha(name.codePointAt(0)!)) throw this.invalid("capturing group name does not start with a Latin letter");
    if (this.cps[this.pos] !== ch(">")) throw this.invalid("named capturing group is missing trailing '>'");
    this.pos++;
    return name;
  }

  /** `idmsuxU-idmsuxU` after `(?`. */
  private inlineFlags(): void {
    let on = true;
    for (;;) {
      const c = this.cps[this.pos];
      if (c === undefined) throw this.invalid("Unknown inline modifier");
      const f = String.fromCodePoint(c);
      if (f === "-") on = false;
      else if (f === "i" || f === "d" || f === "m" || f === "s" || f === "x") this.flags[f] = on;
      else if (f === "u" || f === "U") {
        if (on) throw this.unsupported(`inline flag (?${f}) (Unicode case folding / classes) is not supported`);
      } else if (f === ")" || f === ":") return;
      else throw this.invalid("Unknown inline modifier");
      this.pos++;
    }
  }

  /** A backslash escape outside a class. */
  private escapeAtom(): string {
    this.pos++; // backslash
    const c = this.cps[this.pos];
    if (c === undefined) throw this.invalid("Unexpected internal error");
    const e = String.fromCodePoint(c);
    switch (e) {
      case "A":
      case "G":
        this.pos++;
        return "^";
      case "z":
        this.pos++;
        return "$";
      case "Z":
        this.pos++;
        return this.dollar(false);
      case "b":
        this.pos++;
        return `(?:(?<=${JAVA_WORD})(?!${JAVA_WORD})|(?<!${JAVA_WORD})(?=${JAVA_WORD}))`;
      case "B":
        this.pos++;
        return `(?:(?<=${JAVA_WORD})(?=${JAVA_WORD})|(?<!${JAVA_WORD})(?!${JAVA_WORD}))`;
      case "R":
        this.pos++;
        return "(?:\\u{d}\\u{a}|(?!\\u{d}\\u{a})[\\u{a}-\\u{d}\\u{85}\\u{2028}\\u{2029}])";
      case "k":
        throw this.unsupported("backreferences are not supported");
    }
    if (c >= ch("1") && c <= ch("9")) throw this.unsupported("backreferences are not supported");
    const item = this.escape(false);
    return item.kind === "char" ? this.literal(item.cp) : `[${item.body}]`;
  }

  /**
   * Java's escape() for what both contexts share (pos at the letter after the backslash): a char,
   * or a class. Anchors and backreferences are handled by the caller outside classes and are
   * illegal inside (Java: "Illegal/unsupported escape sequence").
   */
  private escape(inClass: boolean): { kind: "char"; cp: number } | { kind: "set"; body: string } {
    const c = this.cps[this.pos]!;
    this.pos++;
    const e = String.fromCodePoint(c);
    const set = (body: string, negated = false) => ({ kind: "set" as const, body: negated ? `[^${body}]` : body });
    switch (e) {
      case "0":
        return { kind: "char", cp: this.octal() };
      case "a":
        return { kind: "char", cp: 0x07 };
      case "e":
        return { kind: "char", cp: 0x1b };
      case "f":
        return { kind: "char", cp: 0x0c };
      case "n":
        return { kind: "char", cp: 0x0a };
      case "r":
        return { kind: "char", cp: 0x0d };
      case "t":
        return { kind: "char", cp: 0x09 };
      case "c": {
        const x = this.cps[this.pos];
        if (x === undefined) throw this.invalid("Illegal control escape sequence");
        this.pos++;
        return { kind: "char", cp: x ^ 64 };
      }
      case "x":
        return { kind: "char", cp: this.hexEscape() };
      case "u":
        return { kind: "char", cp: this.unicodeEscape() };
      case "d":
        return set("0-9");
      case "D":
        return set("0-9", true);
      case "w":
        return set(WORD);
      case "W":
        return set(WORD, true);
      case "s":
        return set(SPACE);
      case "S":
        return set(SPACE, true);
      case "h":
        return set(HSPACE);
      case "H":
        return set(HSPACE, true);
      case "v":
        return set(VSPACE);
      case "V":
        return set(VSPACE, true);
      case "p":
      case "P":
        return this.property(e === "P");
    }
    if (isAsciiAlpha(c) || isAsciiDigit(c)) {
      throw this.invalid(inClass ? "Illegal/unsupported escape sequence inside a character class" : "Illegal/unsupported escape sequence");
    }
    return { kind: "char", cp: c };
  }

  private octal(): number {
    const n = this.cps[this.pos];
    if (n === undefined || !isOctal(n)) throw this.invalid("Illegal octal escape sequence");
    this.pos++;
    let v = n - 0x30;
    const m = this.cps[this.pos];
    if (m !== undefined && isOctal(m)) {
      this.pos++;
      v = v * 8 + (m - 0x30);
      const o = this.cps[this.pos];
      if (o !== undefined && isOctal(o) && n <= ch("3")) {
        this.pos++;
        v = v * 8 + (o - 0x30);
      }
    }
    return v;
  }

  private hexEscape(): number {
    if (this.cps[this.pos] === ch("{")) {
      this.pos++;
      const start = this.pos;
      while (this.pos < this.cps.length && isHex(this.cps[this.pos]!)) this.pos++;
      if (this.pos === start || this.cps[this.pos] !== ch("}")) throw this.invalid("Unclosed hexadecimal escape sequence");
      const v = Number.parseInt(String.fromCodePoint(...this.cps.slice(start, this.pos)), 16);
      this.pos++;
      if (v > 0x10ffff) throw this.invalid("Hexadecimal codepoint is too big");
      return v;
    }
    const a = this.cps[this.pos];
    const b = this.cps[this.pos + 1];
    if (a === undefined || b === undefined || !isHex(a) || !isHex(b)) throw this.invalid("Illegal hexadecimal escape sequence");
    this.pos += 2;
    return Number.parseInt(String.fromCodePoint(a, b), 16);
  }

  private unicodeEscape(): number {
    const four = (): number => {
      const d = this.cps.slice(this.pos, this.pos + 4);
      if (d.length < 4 || !d.every(isHex)) throw this.invalid("Illegal Unicode escape sequence");
      this.pos += 4;
      return Number.parseInt(String.fromCodePoint(...d), 16);
    };
    const hi = four();
    // Java joins an escaped surrogate pair into one code point.
    if (hi >= 0xd800 && hi <= 0xdbff && this.cps[this.pos] === BS && this.cps[this.pos + 1] === ch("u")) {
      const save = this.pos;
      this.pos += 2;
      const lo = four();
      if (lo >= 0xdc00 && lo <= 0xdfff) return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
      this.pos = save;
    }
    return hi;
  }

  /** `\p{Name}`, `\pL`, `\P…` as a class body. */
  private property(negated: boolean): { kind: "set"; body: string } {
    let name: string;
    if (this.cps[this.pos] === ch("{")) {
      const end = this.cps.indexOf(ch("}"), this.pos);
      if (end < 0) throw this.invalid("Unclosed character family");
      name = String.fromCodePoint(...this.cps.slice(this.pos + 1, end));
      this.pos = end + 1;
    } else {
      const c = this.cps[this.pos];
      if (c === undefined) throw this.invalid("Illegal character family");
      name = String.fromCodePoint(c);
      this.pos++;
    }
    const body = this.propertyBody(name);
    return { kind: "set", body: negated ? `[^${body}]` : body };
  }

  private propertyBody(name: string): string {
    const eq = name.indexOf("=");
    if (eq >= 0) {
      const key = name.slice(0, eq).toLowerCase();
      const value = name.slice(eq + 1);
      if (key === "script" || key === "sc") return this.script(value);
      if (key === "general_category" || key === "gc") {
        if (CATEGORIES.has(value)) return `\\p{gc=${value}}`;
        throw this.invalid(`Unknown character property name {${name}}`);
      }
      if (key === "block" || key === "blk") throw this.unsupported(`Unicode blocks (\\p{${name}}) are not supported`);
      throw this.invalid(`Unknown Unicode property {name=<${key}>, value=<${value}>}`);
    }
    if (name.startsWith("In")) throw this.unsupported(`Unicode blocks (\\p{${name}}) are not supported`);
    if (name.startsWith("Is")) {
      const rest = name.slice(2);
      if (UNSUPPORTED_UNICODE_PROPS.has(rest.toUpperCase())) throw this.unsupported(`\\p{${name}} (Unicode ${rest}) is not supported`);
      const prop = UNICODE_PROPS[rest.toUpperCase()];
      if (prop !== undefined) return prop;
      const named = this.namedProperty(rest);
      if (named !== undefined) return named;
      return this.script(rest);
    }
    const named = this.namedProperty(name);
    if (named !== undefined) return named;
    if (name.startsWith("java")) throw this.unsupported(`\\p{${name}} (java.lang.Character methods) is not supported`);
    throw this.invalid(`Unknown character property name {${name}}`);
  }

  private namedProperty(name: string): string | undefined {
    if (Object.hasOwn(POSIX, name)) return POSIX[name];
    if (CATEGORIES.has(name)) return `\\p{gc=${name}}`;
    return undefined;
  }

  private script(name: string): string {
    // Java looks scripts up case-insensitively; JavaScript wants the exact name or alias.
    const candidates = [name, name.charAt(0).toUpperCase() + name.slice(1).toLowerCase()];
    for (const candidate of candidates) {
      try {
        new RegExp(`\\p{Script=${candidate}}`, "v");
        return `\\p{Script=${candidate}}`;
      } catch {
        // try the next spelling
      }
    }
    throw this.unsupported(`Unicode script or property ${name} is not supported`);
  }

  /** A `[...]` class outside any class. */
  private classAtom(): string {
    return this.charClass();
  }

  /** Java's clazz(): pos at `[`; returns a v-mode class. */
  private charClass(): string {
    this.pos++; // [
    let negated = false;
    if (this.cps[this.pos] === ch("^") && !this.quoted[this.pos]) {
      negated = true;
      this.pos++;
    }
    const operands: ClassItem[][] = [];
    let items: ClassItem[] = [];
    let nested = false;
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === -1) throw this.invalid("Unclosed character class");
      const q = this.quoted[this.pos];
      if (!q && c === ch("]") && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (!q && c === ch("[")) {
        items.push({ kind: "set", body: this.charClass() });
        nested = true;
        continue;
      }
      if (!q && c === ch("&") && this.cps[this.pos + 1] === ch("&") && !this.quoted[this.pos + 1]) {
        this.pos += 2;
        operands.push(items);
        items = [];
        continue;
      }
      const start = this.classChar();
      if (start.kind === "set") {
        items.push(start);
        continue;
      }
      // A range needs an unquoted '-' followed by something other than ']' or '['.
      if (this.isMeta("-")) {
        const after = this.cps[this.pos + 1];
        const afterQuoted = this.quoted[this.pos + 1];
        if (after !== undefined && (afterQuoted || (after !== ch("]") && after !== ch("[")))) {
          this.pos++;
          this.peek();
          const end = this.classChar();
          if (end.kind === "set") throw this.invalid("Illegal character range");
          if (end.cp < start.cp) throw this.invalid("Illegal character range");
          items.push({ kind: "range", from: start.cp, to: end.cp });
          continue;
        }
      }
      items.push(start);
    }
    operands.push(items);
    if (negated && (nested || operands.length > 1)) {
      throw this.unsupported("a negated class with nested classes or '&&' (Java 8 negates only part of it)");
    }
    const bodies = operands.filter((o) => o.length > 0).map((o) => o.map((i) => this.classItem(i)).join(""));
    if (bodies.length === 0) throw this.invalid("Bad class syntax");
    const body = bodies.length === 1 ? bodies[0]! : bodies.map((b) => `[${b}]`).join("&&");
    return negated ? `[^${body}]` : `[${body}]`;
  }

  /** One char or predefined class inside a class (pos at it). */
  private classChar(): { kind: "char"; cp: number } | { kind: "set"; body: string } {
    const c = this.cps[this.pos]!;
    if (this.quoted[this.pos] || c !== BS) {
      this.pos++;
      return { kind: "char", cp: c };
    }
    this.pos++;
    if (this.pos >= this.cps.length) throw this.invalid("Unexpected internal error");
    return this.escape(true);
  }

  private classItem(item: ClassItem): string {
    if (item.kind === "set") return item.body;
    const from = item.kind === "char" ? item.cp : item.from;
    const to = item.kind === "char" ? item.cp : item.to;
    let out = from === to ? hex(from) : `${hex(from)}-${hex(to)}`;
    if (this.flags.i) {
      // Java's ASCII case-insensitivity: a char matches if it, its upper or its lower case is in range.
      for (const [lo, hi, shift] of [
        [0x61, 0x7a, -0x20],
        [0x41, 0x5a, 0x20],
      ] as const) {
        const a = Math.max(from, lo);
        const b = Math.min(to, hi);
        if (a <= b) out += a === b ? hex(a + shift) : `${hex(a + shift)}-${hex(b + shift)}`;
      }
    }
    return out;
  }
}
