import type { ConstraintRule } from "../../run-spec-demand.ts";
import { fieldValue, HOSTNAME_FIELD, normaliseIsValue, type ConstraintAgent } from "./attribute-value.ts";
import type { PlacedCounts } from "./constraint-counters.ts";
import { compileJavaRegex } from "./java-regex.ts";

/**
 * Parameters of a constraint refusal. Always: `constraint` (rendered `[field, OP, value]`),
 * `field`, `operator`, `value`, `rule` (which rule refused, stable, see `ConstraintRuleBroken`).
 * Where they apply: `found` (the agent's value; absent when it lacks the field), `count`,
 * `groups`, `smallestGroup`, `minGroups`, `total`, `limit`, `error`.
 */
export type ConstraintParams = Readonly<Record<string, string | number>>;

/**
 * Which rule refused an agent (the `rule` parameter): `missing` attribute, `unique`,
 * `cluster-value` (not the required value), `cluster-split` (placed instances sit elsewhere),
 * `group-too-few` (fewer than n groups and this one exists), `group-not-smallest`, `max-per`,
 * `like` (no match), `unlike` (matches), `empty-regex` (LIKE/UNLIKE "" on an attribute),
 * `bad-regex` (pattern invalid or untranslatable), `bad-number` (MAX_PER value not an int), `is`.
 */
export type ConstraintRuleBroken =
  | "missing"
  | "unique"
  | "cluster-value"
  | "cluster-split"
  | "group-too-few"
  | "group-not-smallest"
  | "max-per"
  | "like"
  | "unlike"
  | "empty-regex"
  | "bad-regex"
  | "bad-number"
  | "is";

/**
 * The outcome of one constraint on one agent. A refusal has Marathon's reason code, parameters
 * and a message rendered on first read (refusals are cheap to make on the placement path). It is
 * assignable to the placement stack's `Verdict`.
 */
export type ConstraintVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: "UnfulfilledConstraint"; readonly params: ConstraintParams; readonly message: string };

const ACCEPT: ConstraintVerdict = Object.freeze({ ok: true });

/**
 * Whether an agent satisfies one Marathon constraint, given where the run spec's placed
 * instances are (`placed`: current-configuration instances only, this pass's placements
 * included; see `ConstraintCounters`). V is the agent's value for the field (`fieldValue`):
 *
 * - missing V (attribute not advertised): only UNLIKE accepts, whatever its pattern;
 * - UNIQUE: no placed instance has V;
 * - CLUSTER v: (v empty or V = v) and every placed instance has V (the first fixes it);
 * - GROUP_BY [n]: V holds none yet, or (#groups ≥ max(0, n) and V's group is a smallest one);
 *   n absent or not an int → 0, `inf` → 2^31-1; instances lacking the field are one group;
 * - MAX_PER n: V holds none yet, or fewer than n (so `MAX_PER 0` still admits one per value);
 * - LIKE / UNLIKE re: Java `V.matches(re)` (anchored); on an attribute an empty re refuses both,
 *   on `hostname` it is a real pattern (LIKE "" refuses, UNLIKE "" accepts);
 * - IS v (Marathon 1.6): V equals v, v normalised like a scalar (`4.0` → `4`).
 *
 * Failure modes (refusals, never throws): a pattern Java rejects or we cannot translate
 * (`bad-regex`; Marathon threw), a MAX_PER value that is not a Java int (`bad-number`; Marathon
 * threw). Validation at the API edge should keep both out.
 */
export function checkConstraint(constraint: ConstraintRule, agent: ConstraintAgent, placed: PlacedCounts): ConstraintVerdict {
  const { field, operator, value } = constraint;
  const found = fieldValue(agent, field);
  if (found === undefined) return operator === "UNLIKE" ? ACCEPT : refuse(constraint, "missing", {});
  switch (operator) {
    case "LIKE":
    case "UNLIKE": {
      if (value === "" && field !== HOSTNAME_FIELD) return refuse(constraint, "empty-regex", { found });
      const re = compileJavaRegex(value);
      if (!re.ok) return refuse(constraint, "bad-regex", { found, error: `${re.kind} pattern: ${re.error}` });
      const matches = re.regex.test(found);
      if (operator === "LIKE") return matches ? ACCEPT : refuse(constraint, "like", { found });
      return matches ? refuse(constraint, "unlike", { found }) : ACCEPT;
    }
    case "IS":
      return found === normaliseIsValue(value) ? ACCEPT : refuse(constraint, "is", { found });
    case "UNIQUE": {
      const count = placed.forField(field).count(found);
      return count === 0 ? ACCEPT : refuse(constraint, "unique", { found, count });
    }
    case "CLUSTER": {
      if (value !== "" && found !== value) return refuse(constraint, "cluster-value", { found });
      const counts = placed.forField(field);
      const count = counts.count(found);
      // "Every placed instance has V": all of them in V's group, or none placed at all.
      const together = count === 0 ? counts.groups() === 0 : counts.groups() === 1;
      return together ? ACCEPT : refuse(constraint, "cluster-split", { found, count, total: counts.total() });
    }
    case "GROUP_BY": {
      const counts = placed.forField(field);
      const count = counts.count(found);
      if (count === 0) return ACCEPT;
      const minGroups = Math.max(0, groupByMinimum(value));
      const groups = counts.groups();
      const smallestGroup = counts.smallestGroup();
      if (groups < minGroups) return refuse(constraint, "group-too-few", { found, count, groups, minGroups });
      if (count !== smallestGroup) return refuse(constraint, "group-not-smallest", { found, count, groups, smallestGroup });
      return ACCEPT;
    }
    case "MAX_PER": {
      const limit = parseJavaInt(value);
      if (limit === undefined) return refuse(constraint, "bad-number", { found });
      const count = placed.forField(field).count(found);
      return count === 0 || count < limit ? ACCEPT : refuse(constraint, "max-per", { found, count, limit });
    }
  }
}

/**
 * Every constraint, in order: the first refusal, or acceptance (Marathon: all must pass; an
 * offer failing any is `UnfulfilledConstraint`). Same failure modes as `checkConstraint`.
 */
export function checkConstraints(constraints: readonly ConstraintRule[], agent: ConstraintAgent, placed: PlacedCounts): ConstraintVerdict {
  for (const c of constraints) {
    const v = checkConstraint(c, agent, placed);
    if (!v.ok) return v;
  }
  return ACCEPT;
}

/**
 * What a constraint's verdict depends on, so the placement stack can cache it at the right level:
 * `class` (LIKE/UNLIKE/IS on an attribute: the agent's attributes only, so one verdict per agent
 * class), `agent` (the same on `hostname`), `placed` (UNIQUE, CLUSTER, GROUP_BY, MAX_PER: also
 * where instances are; CLUSTER with a value too, as 1.4.12 also requires every placed instance
 * to share the agent's value).
 */
export function constraintScope(constraint: ConstraintRule): "class" | "agent" | "placed" {
  switch (constraint.operator) {
    case "LIKE":
    case "UNLIKE":
    case "IS":
      return constraint.field === HOSTNAME_FIELD ? "agent" : "class";
    default:
      return "placed";
  }
}

/** A constraint as Marathon's API writes it: `[field, OP]` or `[field, OP, value]`. */
export function renderConstraint(constraint: ConstraintRule): string {
  return constraint.value === "" ? `[${constraint.field}, ${constraint.operator}]` : `[${constraint.field}, ${constraint.operator}, ${constraint.value}]`;
}

/**
 * The message of a constraint refusal, from its parameters alone (so a refusal stored or sent as
 * code + parameters renders the same later), e.g.
 * `constraint [zone, GROUP_BY, 3]: zone "a" already holds 2, the smallest group holds 1`.
 */
export function renderConstraintRefusal(p: ConstraintParams): string {
  const field = String(p.field);
  const on = `${field} ${JSON.stringify(p.found)}`;
  const head = `constraint ${p.constraint}: `;
  switch (p.rule as ConstraintRuleBroken) {
    case "missing":
      return `${head}the agent has no attribute "${field}"`;
    case "unique":
      return `${head}${on} already holds ${p.count}`;
    case "cluster-value":
      return `${head}${field} is ${JSON.stringify(p.found)}, not ${JSON.stringify(p.value)}`;
    case "cluster-split":
      return `${head}${on} holds ${p.count} of the ${p.total} placed instances; they must all share one ${field}`;
    case "group-too-few":
      return `${head}${on} already holds ${p.count}, and only ${p.groups} of at least ${p.minGroups} groups exist`;
    case "group-not-smallest":
      return `${head}${on} already holds ${p.count}, the smallest group holds ${p.smallestGroup}`;
    case "max-per":
      return `${head}${on} already holds ${p.count}, at most ${p.limit} allowed`;
    case "like":
      return `${head}${on} does not match`;
    case "unlike":
      return `${head}${on} matches`;
    case "empty-regex":
      return `${head}an empty pattern matches no attribute value`;
    case "bad-regex":
      return `${head}${p.error}`;
    case "bad-number":
      return `${head}${JSON.stringify(p.value)} is not an integer`;
    case "is":
      return `${head}${field} is ${JSON.stringify(p.found)}`;
    default:
      return `${head}not met`;
  }
}

function refuse(constraint: ConstraintRule, rule: ConstraintRuleBroken, extra: Record<string, string | number>): ConstraintVerdict {
  const params: ConstraintParams = {
    constraint: renderConstraint(constraint),
    field: constraint.field,
    operator: constraint.operator,
    value: constraint.value,
    rule,
    ...extra,
  };
  let message: string | undefined;
  return {
    ok: false,
    code: "UnfulfilledConstraint",
    params,
    get message() {
      return (message ??= renderConstraintRefusal(params));
    },
  };
}

const INT_MAX = 2 ** 31 - 1;
const INT_MIN = -(2 ** 31);

/** Java `Integer.parseInt` (ASCII digits; Java also takes other Unicode decimal digits, we do not). */
export function parseJavaInt(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = Number(s);
  return v >= INT_MIN && v <= INT_MAX ? v : undefined;
}

/** Marathon's `getIntValue(value, 0)` for GROUP_BY: `inf` → Int.MaxValue, an int → itself, else 0. */
function groupByMinimum(value: string): number {
  if (value === "inf") return INT_MAX;
  return parseJavaInt(value) ?? 0;
}
