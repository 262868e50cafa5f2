import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileJavaRegex, javaMatches } from "./java-regex.ts";

describe("javaMatches: Java's String.matches", () => {
  const rows: Array<[rule: string, pattern: string, input: string, matches: boolean]> = [
    ["anchored: a prefix is not a match", "rack", "rack-1", false],
    ["anchored: a suffix is not a match", "1", "rack-1", false],
    ["anchored: the whole input matches", "rack-[1-3]", "rack-2", true],
    ["anchored around the whole alternation, not its ends", "r1|r2", "r12", false],
    ["alternation still matches each branch", "r1|r2", "r2", true],
    ["the empty pattern matches only the empty string", "", "", true],
    ["the empty pattern does not match text", "", "a", false],
    ["a dot matches one code point (astral)", ".", "😀", true],
    ["a dot does not match a line terminator", ".", "\n", false],
    ["a dot does not match NEL (Java's extra terminator)", ".", "\u0085", false],
    ["(?s) dot matches a newline", "(?s).", "\n", true],
    ["(?d) only \\n ends a line", "(?d).", "\u0085", true],
    ["\\s is ASCII only in Java", "\\s", "\u00a0", false],
    ["\\s matches a tab", "\\s", "\t", true],
    ["\\S matches a no-break space", "\\S", "\u00a0", true],
    ["\\w is ASCII only", "\\w", "é", false],
    ["\\d is ASCII only", "\\d", "٣", false],
    ["\\h matches a no-break space", "\\h", "\u00a0", true],
    ["\\v is vertical whitespace (Java 8)", "\\v", "\u2028", true],
    ["\\b counts non-ASCII letters as word chars", "é\\b", "é", true],
    ["\\b needs a boundary", "a\\bb", "ab", false],
    ["\\B between two word chars", "a\\Bb", "ab", true],
    ["$ matches before a final newline (then it must be consumed)", "a$\n", "a\n", true],
    ["$ alone does not consume the final newline", "a$", "a\n", false],
    ["\\Z ends before a final terminator", "a\\Z\r\n", "a\r\n", true],
    ["\\z is the very end", "a\\z", "a", true],
    ["\\A is the start", "\\Aa", "a", true],
    ["(?m)^ after a newline", "a\n(?m)^b", "a\nb", true],
    ["(?i) is ASCII case-insensitive", "(?i)rack", "RACK", true],
    ["(?i) does not fold non-ASCII", "(?i)é", "É", false],
    ["(?i) reaches class ranges", "(?i)[a-c]+", "AbC", true],
    ["(?i:…) is scoped to its group", "(?i:a)b", "AB", false],
    ["(?i) in a group ends with the group", "(?:(?i)a)b", "Ab", true],
    ["(?-i) turns it off", "(?i)a(?-i)b", "AB", false],
    ["(?x) ignores whitespace and comments", "(?x) r a c k # the rack", "rack", true],
    ["(?x) ignores whitespace inside classes too", "(?x)[a b]+", "ab", true],
    ["\\Q…\\E quotes metacharacters", "\\Q10.0.*\\E", "10.0.*", true],
    ["\\Q…\\E: a quoted dot is not a wildcard", "\\Q10.0\\E", "1000", false],
    ["\\Q without \\E quotes to the end", "a\\Q.*", "a.*", true],
    ["an escaped dot is literal", "10\\.0\\..*", "10.0.1.2", true],
    ["an escaped non-letter is literal", "a\\-b\\#c", "a-b#c", true],
    ["] outside a class is literal", "a]", "a]", true],
    ["} outside a class is literal", "a}", "a}", true],
    ["] first in a class is literal", "[]a]+", "]a", true],
    ["a leading - in a class is literal", "[-a]+", "-a", true],
    ["class union [a[b]]", "[a[bc]]+", "abc", true],
    ["class intersection &&", "[a-z&&[^aeiou]]+", "xyz", true],
    ["class intersection excludes", "[a-z&&[^aeiou]]", "a", false],
    ["\\p{Lower} is ASCII", "\\p{Lower}", "é", false],
    ["\\p{L} is Unicode letters", "\\p{L}+", "éa", true],
    ["\\pL single-letter form", "\\pL", "x", true],
    ["\\P{L} negation", "\\P{L}", "1", true],
    ["\\p{IsLatin} script", "\\p{IsLatin}+", "abc", true],
    ["\\p{Lu} category", "\\p{Lu}", "a", false],
    ["\\p{javaLowerCase}-free POSIX in a class", "[\\p{Digit}x]+", "1x", true],
    ["octal escape", "\\0101", "A", true],
    ["hex escape", "\\x41", "A", true],
    ["hex code point escape", "\\x{1F600}", "😀", true],
    ["unicode escape", "\\u0041", "A", true],
    ["an escaped surrogate pair is one code point", "\\uD83D\\uDE00", "😀", true],
    ["control escape", "\\cI", "\t", true],
    ["greedy counted repetition", "x{2,3}", "xxx", true],
    ["counted repetition upper bound", "x{2,3}", "xxxx", false],
    ["lazy quantifier (same answer under matches)", "a+?", "aaa", true],
    ["possessive quantifier does not give back", "a++a", "aaa", false],
    ["atomic group does not backtrack", "(?>a|ab)c", "abc", false],
    ["look-ahead", "(?=r)r1", "r1", true],
    ["bounded look-behind", "a(?<=a)b", "ab", true],
    ["named group", "(?<rack>r)1", "r1", true],
    ["\\R takes \\r\\n whole", "\\R\n", "\r\n", false],
    ["\\R matches a lone \\n", "\\R", "\n", true],
  ];
  for (const [rule, pattern, input, expected] of rows) {
    test(`${rule}: ${JSON.stringify(input)}.matches(${JSON.stringify(pattern)}) = ${expected}`, () => {
      assert.equal(javaMatches(input, pattern), expected);
    });
  }
});

describe("compileJavaRegex: failures", () => {
  const rows: Array<[rule: string, pattern: string, kind: "invalid" | "unsupported"]> = [
    ["a dangling quantifier is invalid", "*a", "invalid"],
    ["an unclosed group is invalid", "(a", "invalid"],
    ["an unmatched ) is invalid", "a)", "invalid"],
    ["an unclosed class is invalid", "[a", "invalid"],
    ["a reversed range is invalid", "[z-a]", "invalid"],
    ["an unknown letter escape is invalid", "\\i", "invalid"],
    ["a trailing backslash is invalid", "a\\", "invalid"],
    ["a bad repetition is invalid", "a{,2}", "invalid"],
    ["a reversed repetition is invalid", "a{3,2}", "invalid"],
    ["an unbounded look-behind is invalid", "(?<=a+)b", "invalid"],
    ["an unknown property is invalid", "\\p{Nope}", "invalid"],
    ["an unknown inline flag is invalid", "(?q)a", "invalid"],
    ["backreferences are unsupported", "(a)\\1", "unsupported"],
    ["named backreferences are unsupported", "(?<n>a)\\k<n>", "unsupported"],
    ["(?u) is unsupported", "(?iu)a", "unsupported"],
    ["Unicode blocks are unsupported", "\\p{InGreek}", "unsupported"],
    ["a negated class with a nested class is unsupported", "[^a[b]]", "unsupported"],
    ["a negated class with && is unsupported", "[^a-z&&[b]]", "unsupported"],
  ];
  for (const [rule, pattern, kind] of rows) {
    test(`${rule}: ${JSON.stringify(pattern)}`, () => {
      const c = compileJavaRegex(pattern);
      assert.equal(c.ok, false);
      assert.equal(!c.ok && c.kind, kind);
      assert.equal(typeof javaMatches("a", pattern), "object");
    });
  }

  test("a pattern is compiled once and cached", () => {
    assert.equal(compileJavaRegex("cache-[0-9]+"), compileJavaRegex("cache-[0-9]+"));
  });
});
