import type { ConstraintRule } from "../../run-spec-demand.ts";
import { fieldValue, type ConstraintAgent } from "./attribute-value.ts";

/** An instance that may be killed, with the agent it runs on (its hostname and attributes). */
export interface KillCandidate {
  readonly agent: ConstraintAgent;
}

/**
 * Marathon's `Constraints.selectInstancesToKill`: which instances to kill so that every GROUP_BY
 * constraint's distribution stays even. Only GROUP_BY constraints take part.
 *
 * `candidates` come in the caller's kill order (Marathon: condition, then killSelection); it
 * breaks every tie. Per kill, the distributions are ranked by their spread (largest group minus
 * smallest, emptied groups counted as 0), most uneven first; the candidates tried are those in
 * the largest groups of each uneven distribution, in that rank, then every remaining candidate;
 * the first whose removal leaves each distribution within 1, or less uneven than it was before
 * any kill, is taken. Instances on agents lacking a GROUP_BY field form one group of their own.
 *
 * Returns the chosen instances in the order chosen: all of them when `count` equals their number,
 * none when there is no GROUP_BY constraint, and possibly fewer than `count` when no candidate
 * keeps the distributions even (the caller fills up from its own order; `chooseInstancesToKill`
 * does). Throws RangeError when `count` is not an integer in [0, candidates.length] (Marathon's
 * `require`). Cost O(count × candidates × GROUP_BYs × groups) at worst.
 */
export function selectInstancesToKill<T extends KillCandidate>(candidates: readonly T[], constraints: readonly ConstraintRule[], count: number): T[] {
  if (!Number.isInteger(count) || count < 0 || count > candidates.length) {
    throw new RangeError(`cannot kill ${count} of ${candidates.length} instances`);
  }
  if (count === candidates.length) return [...candidates];
  const distributions = constraints.filter((c) => c.operator === "GROUP_BY").map((c) => distribution(candidates, c.field));
  if (distributions.length === 0) return [];

  const chosen = new Array<boolean>(candidates.length).fill(false);
  const picked: T[] = [];
  const original = distributions.map((d) => spread(d.sizes));
  while (picked.length < count) {
    const ranked = distributions
      .map((d) => ({ d, spread: spread(d.sizes) }))
      .sort((a, b) => b.spread - a.spread); // stable: ties keep constraint order
    const tried: number[] = [];
    for (const { d } of ranked) {
      if (new Set(d.sizes).size === 1) continue; // even already: nothing to prefer
      const largest = Math.max(...d.sizes);
      for (let k = 0; k < candidates.length; k++) if (!chosen[k] && d.sizes[d.groupOf[k]!] === largest) tried.push(k);
    }
    for (let k = 0; k < candidates.length; k++) if (!chosen[k]) tried.push(k);

    // Candidates in the same group of every distribution get the same answer: ask once.
    const verdicts = new Map<string, boolean>();
    const keepsEven = (k: number): boolean => {
      const key = distributions.map((d) => d.groupOf[k]).join(",");
      let ok = verdicts.get(key);
      if (ok === undefined) {
        ok = distributions.every((d, i) => {
          const g = d.groupOf[k]!;
          d.sizes[g]!--;
          const after = spread(d.sizes);
          d.sizes[g]!++;
          return after <= 1 || original[i]! > after;
        });
        verdicts.set(key, ok);
      }
      return ok;
    };
    const next = tried.find(keepsEven);
    if (next === undefined) break;
    chosen[next] = true;
    picked.push(candidates[next]!);
    for (const d of distributions) d.sizes[d.groupOf[next]!]!--;
  }
  return picked;
}

/**
 * Exactly `count` instances to kill, as Marathon's ScalingProposition orders them: the GROUP_BY
 * choice of `selectInstancesToKill` first, then the other candidates in the caller's order.
 * Throws RangeError like `selectInstancesToKill`.
 */
export function chooseInstancesToKill<T extends KillCandidate>(candidates: readonly T[], constraints: readonly ConstraintRule[], count: number): T[] {
  const selected = selectInstancesToKill(candidates, constraints, count);
  const taken = new Set<T>(selected);
  const rest = candidates.filter((c) => !taken.has(c));
  return [...selected, ...rest].slice(0, count);
}

interface Distribution {
  /** Candidate index → group index. */
  groupOf: number[];
  /** Group index → candidates not yet chosen in it. */
  sizes: number[];
}

function distribution(candidates: readonly KillCandidate[], field: string): Distribution {
  const index = new Map<string | undefined, number>();
  const sizes: number[] = [];
  const groupOf = candidates.map((c) => {
    const key = fieldValue(c.agent, field);
    let g = index.get(key);
    if (g === undefined) {
      g = sizes.length;
      index.set(key, g);
      sizes.push(0);
    }
    sizes[g]!++;
    return g;
  });
  return { groupOf, sizes };
}

function spread(sizes: readonly number[]): number {
  let max = -Infinity;
  let min = Infinity;
  for (const s of sizes) {
    if (s > max) max = s;
    if (s < min) min = s;
  }
  return max - min;
}
