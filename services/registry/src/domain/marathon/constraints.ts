/**
 * Placement constraints (`MM/Constraints.scala`, `FMT` `ConstraintFormat`, 1.4.12 rules).
 * Apps write `[field, OP(, value)]`; pods write `{fieldName, operator, value?}`. Both share
 * the per-operator value rules in `checkConstraintValue`.
 *
 * `IS` is Marathon 1.6's operator, accepted as a Gantry extension to 1.4: the agent's field must
 * equal the value as text, where a value that reads as a Mesos scalar (`1.50`) and scalar
 * attributes are both compared in Marathon's normal form (at most three decimals, no trailing
 * zeros: `1.5`). The value is stored as given; placement normalises both sides.
 */
import { CONSTRAINT_OPERATORS, type AppConstraint, type ConstraintOperator } from "./app.model.ts";
import { check, isObject, oneOf, opt, req, str, type Issues, type Path, type Reader } from "./field-validators.ts";

/** Parse error for an app constraint that is not 2–3 strings. */
export const CONSTRAINT_FORMAT_MESSAGE =
  "Constraint definition must be an array of strings in format: <key>, <operator>[, value]";
/** Parse error for an unknown operator. */
export const CONSTRAINT_OPERATOR_MESSAGE = `Constraint operator must be one of the following: [${CONSTRAINT_OPERATORS.join(", ")}]`;

/** Reads an app constraint; wrong shapes and unknown operators are shape (400) errors. */
export const appConstraint: Reader<AppConstraint> = (v, path, is) => {
  if (!Array.isArray(v) || v.length < 2 || v.length > 3 || !v.every((x) => typeof x === "string")) {
    is.typeError(path, CONSTRAINT_FORMAT_MESSAGE);
    return undefined;
  }
  const [fieldName, op, value] = v as string[];
  if (!(CONSTRAINT_OPERATORS as readonly string[]).includes(op ?? "")) {
    is.typeError(path, CONSTRAINT_OPERATOR_MESSAGE);
    return undefined;
  }
  const operator = op as ConstraintOperator;
  return value === undefined ? [fieldName ?? "", operator] : [fieldName ?? "", operator, value];
};

/** A pod constraint in object form. */
export interface PodConstraint {
  fieldName: string;
  operator: ConstraintOperator;
  value?: string;
}

/** Reads a pod constraint `{fieldName, operator, value?}`. */
export const podConstraint: Reader<PodConstraint> = (v, path, is) => {
  if (!isObject(v)) {
    is.typeError(path, "error.expected.jsobject");
    return undefined;
  }
  const fieldName = req(v, "fieldName", str, path, is);
  const operator = req(v, "operator", oneOf(CONSTRAINT_OPERATORS), path, is);
  const value = opt(v, "value", str, path, is);
  if (fieldName === undefined || operator === undefined) return undefined;
  return value === undefined ? { fieldName, operator } : { fieldName, operator, value };
};

/** `IS` without a value or with an empty one (Gantry wording: Marathon 1.6 accepted an empty value, Gantry requires one). */
export const CONSTRAINT_IS_VALUE_MESSAGE = "A value must be provided";
/** `IS` with a value that is neither Mesos text nor a scalar (Marathon 1.6's `IsOnlySupportsText`). */
export const CONSTRAINT_IS_TEXT_MESSAGE =
  "IS only supports Mesos text and float values (see http://mesos.apache.org/documentation/latest/attributes-resources/)";
/** Mesos text and scalar attribute values (Marathon 1.6's `MesosLiteralOrFloatValue`, non-empty). */
const MESOS_TEXT_OR_SCALAR = /^[a-zA-Z0-9_/.-]+$/;

const INT = /^[+-]?\d+$/;

/** True when `s` parses as a Java `Int` (`String.toInt`). */
export function isJavaInt(s: string): boolean {
  if (!INT.test(s)) return false;
  const n = Number(s);
  return n >= -2147483648 && n <= 2147483647;
}

/**
 * True when `re` compiles. Gantry compiles with JavaScript's engine (Unicode mode, which rejects
 * most escapes Java also rejects); Java-only syntax such as possessive quantifiers is refused.
 */
export function isValidRegex(re: string): boolean {
  try {
    new RegExp(re, "u");
    return true;
  } catch {
    try {
      new RegExp(re);
      return true;
    } catch {
      return false;
    }
  }
}

/** Checks the value rules of one constraint (Marathon 1.4.12; `IS` as in 1.6 but with a value required) and records violations at `path`. */
export function checkConstraintValue(
  is: Issues,
  path: Path,
  fieldName: string,
  operator: ConstraintOperator,
  value: string | undefined,
): void {
  if (fieldName.length === 0) {
    is.violation(path, "Missing field and operator");
    return;
  }
  switch (operator) {
    case "UNIQUE":
      check(is, path, value === undefined || value.length === 0, "Value specified but not used");
      break;
    case "CLUSTER":
      // 1.4.12: value optional (1.4.2 required it).
      break;
    case "GROUP_BY":
      check(is, path, value === undefined || isJavaInt(value), "Value was specified but is not a number");
      break;
    case "MAX_PER":
      check(is, path, value !== undefined && isJavaInt(value), "Value was not specified or is not a number");
      break;
    case "LIKE":
    case "UNLIKE":
      if (value === undefined) is.violation(path, "A regular expression value must be provided");
      else check(is, path, isValidRegex(value), `'${value}' is not a valid regular expression`);
      break;
    case "IS":
      if (value === undefined || value.length === 0) is.violation(path, CONSTRAINT_IS_VALUE_MESSAGE);
      else check(is, path, MESOS_TEXT_OR_SCALAR.test(value), CONSTRAINT_IS_TEXT_MESSAGE);
      break;
  }
}

/** Constraints are a set in Marathon: duplicates collapse, first occurrence kept. */
export function dedupeConstraints<T>(constraints: readonly T[]): T[] {
  const seen = new Set<string>();
  return constraints.filter((c) => {
    const key = JSON.stringify(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
