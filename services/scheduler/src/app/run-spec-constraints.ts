import { ACCEPT, type AgentNode, type ConstraintRule, type Verdict } from "../domain/index.ts";
import { checkConstraints, constraintScope, ConstraintCounters, NOTHING_PLACED } from "../domain/placement/constraints/index.ts";

/**
 * One run spec's constraints, split by what their verdict depends on: attribute rules (one
 * verdict per agent class, cached by the placement stack), and rules that look at the agent's
 * hostname or at where the run spec's instances already are (judged per agent, on counters of
 * the instances of its current configuration, this pass's placements included).
 */
export class RunSpecConstraints {
  readonly #classRules: readonly ConstraintRule[];
  readonly #agentRules: readonly ConstraintRule[];
  readonly #counters: ConstraintCounters;

  constructor(rules: readonly ConstraintRule[]) {
    this.#classRules = rules.filter((r) => constraintScope(r) === "class");
    this.#agentRules = rules.filter((r) => constraintScope(r) !== "class");
    this.#counters = ConstraintCounters.forConstraints(rules);
  }

  /** The verdict of the rules that depend only on the agent's attributes. */
  classVerdict(agent: AgentNode): Verdict {
    return this.#classRules.length === 0 ? ACCEPT : checkConstraints(this.#classRules, agent, NOTHING_PLACED);
  }

  /** The verdict of the rules that depend on the agent itself or on placed instances. */
  countedVerdict(agent: AgentNode): Verdict {
    return this.#agentRules.length === 0 ? ACCEPT : checkConstraints(this.#agentRules, agent, this.#counters);
  }

  /** Counts an instance of the current configuration on `agent` (idempotent per instance). */
  add(instanceId: string, agent: AgentNode): void {
    this.#counters.add(instanceId, agent);
  }

  /** Stops counting an instance (idempotent). */
  remove(instanceId: string): void {
    this.#counters.remove(instanceId);
  }
}
