import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { attributeValue, fieldValue, formatJavaNumber, normaliseIsValue } from "./attribute-value.ts";

describe("attributeValue: Mesos typing, Marathon rendering", () => {
  const rows: Array<[rule: string, raw: string, rendered: string]> = [
    ["TEXT is compared as is", "r1", "r1"],
    ["spaces are removed (Mesos values::parse)", "my rack", "myrack"],
    ["TEXT with a bracket not first stays TEXT", "a[1]", "a[1]"],
    ["an empty value is TEXT", "", ""],
    ["SCALAR drops a zero fraction", "4.0", "4"],
    ["SCALAR drops trailing zeros", "1.50", "1.5"],
    ["SCALAR keeps at most 3 fraction digits", "3.14159", "3.142"],
    ["SCALAR rounds HALF_EVEN on exact ties (0.0625 is exact)", "0.0625", "0.062"],
    ["SCALAR rounds the exact binary value (1.0005 is below the tie)", "1.0005", "1"],
    ["SCALAR rounds the exact binary value (1.1005 is above the tie)", "1.1005", "1.101"],
    ["SCALAR has grouping commas (en-US NumberFormat)", "4096", "4,096"],
    ["SCALAR groups every 3 digits", "1234567.891", "1,234,567.891"],
    ["SCALAR accepts a plus sign", "+3", "3"],
    ["SCALAR negative", "-2.5", "-2.5"],
    ["SCALAR rounding to zero keeps the minus sign", "-0.0001", "-0"],
    ["SCALAR accepts a leading dot", ".5", "0.5"],
    ["SCALAR accepts a trailing dot", "5.", "5"],
    ["SCALAR accepts an exponent", "1e3", "1,000"],
    ["SCALAR large whole numbers print shortest digits", "1e23", "100,000,000,000,000,000,000,000"],
    ["a number out of double range is TEXT", "1e400", "1e400"],
    ["inf is a SCALAR rendered as Java's infinity", "inf", "∞"],
    ["-infinity too", "-Infinity", "-∞"],
    ["nan is a SCALAR rendered as Java 8's NaN symbol", "nan", "\uFFFD"],
    ["RANGES keep a single range", "[31000-32000]", "[31000-32000]"],
    ["RANGES are sorted", "[5-6,1-2]", "[1-2,5-6]"],
    ["RANGES adjacent ones merge (Mesos coalesce)", "[3-4,1-2]", "[1-4]"],
    ["RANGES overlapping ones merge", "[1-5,2-3]", "[1-5]"],
    ["RANGES spaces are removed", "[1-2, 4-5]", "[1-2,4-5]"],
    ["RANGES print bounds as Java signed longs", "[18446744073709551615-18446744073709551615]", "[-1--1]"],
    ["RANGES with a non-number are TEXT", "[a-b]", "[a-b]"],
    ["RANGES with an odd number of bounds are TEXT", "[1-2-3]", "[1-2-3]"],
    ["mismatched brackets are TEXT", "[1-2", "[1-2"],
    ["SET items are sorted", "{ssd,hdd}", "{hdd,ssd}"],
    ["SET keeps duplicates", "{b,a,b}", "{a,b,b}"],
    ["SET sorts by UTF-16 code unit (upper case first)", "{b,B,a}", "{B,a,b}"],
  ];
  for (const [rule, raw, rendered] of rows) {
    test(`${rule}: ${JSON.stringify(raw)} → ${JSON.stringify(rendered)}`, () => {
      assert.equal(attributeValue({ a: raw }, "a"), rendered);
    });
  }

  test("a missing attribute is undefined", () => {
    assert.equal(attributeValue({ rack: "r1" }, "zone"), undefined);
  });

  test("inherited object keys are not attributes", () => {
    assert.equal(attributeValue({}, "toString"), undefined);
    assert.equal(attributeValue({}, "__proto__"), undefined);
  });
});

describe("fieldValue", () => {
  test("hostname is the agent's hostname, not an attribute of that name", () => {
    assert.equal(fieldValue({ hostname: "h1", attributes: { hostname: "other" } }, "hostname"), "h1");
  });
  test("any other field is a rendered attribute", () => {
    assert.equal(fieldValue({ hostname: "h1", attributes: { cores: "4.0" } }, "cores"), "4");
  });
  test("a missing attribute is undefined", () => {
    assert.equal(fieldValue({ hostname: "h1", attributes: {} }, "cores"), undefined);
  });
});

describe("normaliseIsValue (IS, Marathon 1.6)", () => {
  const rows: Array<[string, string]> = [
    ["4.0", "4"],
    ["4.50", "4.5"],
    ["4096", "4,096"],
    ["r1", "r1"],
    ["-1", "-1"], // not [0-9]+(.[0-9]+)?: left alone
    ["1e3", "1e3"],
  ];
  for (const [value, normalised] of rows) {
    test(`${JSON.stringify(value)} → ${JSON.stringify(normalised)}`, () => assert.equal(normaliseIsValue(value), normalised));
  }
});

describe("formatJavaNumber", () => {
  test("-0.0 prints a minus sign, like Java's DecimalFormat", () => assert.equal(formatJavaNumber(-0), "-0"));
  test("HALF_EVEN: an exact tie goes to the even neighbour, up or down", () => {
    assert.equal(formatJavaNumber(0.1875), "0.188");
    assert.equal(formatJavaNumber(0.4375), "0.438");
    assert.equal(formatJavaNumber(2.0625), "2.062");
  });
  test("subnormal numbers round to 0", () => assert.equal(formatJavaNumber(5e-324), "0"));
});
