/**
 * Marathon 1.4's placement constraints as pure code: attribute values as Marathon compares them,
 * the constraint check, the per-run-spec counters it reads, and GROUP_BY-aware kill selection.
 * See README.md beside this file.
 */
export { attributeValue, fieldValue, formatJavaNumber, normaliseIsValue, HOSTNAME_FIELD, type ConstraintAgent } from "./attribute-value.ts";
export {
  checkConstraint,
  checkConstraints,
  constraintScope,
  parseJavaInt,
  renderConstraint,
  renderConstraintRefusal,
  type ConstraintParams,
  type ConstraintRuleBroken,
  type ConstraintVerdict,
} from "./constraint-check.ts";
export { ConstraintCounters, NOTHING_PLACED, type CountersPass, type FieldCounts, type PlacedCounts } from "./constraint-counters.ts";
export { compileJavaRegex, javaMatches, type CompiledJavaRegex } from "./java-regex.ts";
export { chooseInstancesToKill, selectInstancesToKill, type KillCandidate } from "./kill-selection.ts";
