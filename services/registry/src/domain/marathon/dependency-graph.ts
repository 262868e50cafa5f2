/**
 * The run-spec dependency graph (`M/state/RootGroup.scala` `dependencyGraph`): nodes are app and
 * pod ids; an edge `a → b` means `a` depends on `b` (b deploys first). A dependency naming a
 * run spec points at it; one naming a group points at every run spec under that group; the
 * dependencies of a group apply to every run spec under it. Unknown ids add no edge.
 */
import { isUnder, parentOf, isRoot } from "./path-id.ts";

/** A run spec as the graph sees it: its id and its own (canonical) dependencies. */
export interface RunSpecNode {
  id: string;
  dependencies: readonly string[];
}

/** A group's (canonical) dependencies, which apply to everything below it. */
export interface GroupDependencies {
  groupId: string;
  dependencies: readonly string[];
}

/** Adjacency: id → the ids it depends on (sorted, deduplicated). */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

/** Builds the graph. Self-edges that only arise from expanding a group are dropped. */
export function buildDependencyGraph(specs: readonly RunSpecNode[], groups: readonly GroupDependencies[] = []): DependencyGraph {
  const ids = specs.map((s) => s.id);
  const known = new Set(ids);
  const resolve = (dep: string): string[] => (known.has(dep) ? [dep] : ids.filter((id) => isUnder(id, dep)));
  const graph = new Map<string, string[]>();
  for (const spec of specs) {
    const out = new Set<string>();
    for (const dep of spec.dependencies) {
      if (known.has(dep)) out.add(dep);
      else for (const target of resolve(dep)) if (target !== spec.id) out.add(target);
    }
    for (const g of groups) {
      if (!isUnder(spec.id, g.groupId)) continue;
      for (const dep of g.dependencies) for (const target of resolve(dep)) if (target !== spec.id) out.add(target);
    }
    graph.set(spec.id, [...out].sort());
  }
  return graph;
}

/**
 * The first dependency cycle found, as the ids along it with the start repeated at the end
 * (`["/a", "/b", "/a"]`), or undefined when the graph is acyclic. Deterministic: nodes and
 * edges are visited in sorted order.
 */
export function detectDependencyCycles(graph: DependencyGraph): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, "visiting");
    stack.push(id);
    for (const next of graph.get(id) ?? []) {
      const s = state.get(next);
      if (s === "visiting") return [...stack.slice(stack.indexOf(next)), next];
      if (s === undefined && graph.has(next)) {
        const found = visit(next);
        if (found !== undefined) return found;
      }
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of [...graph.keys()].sort()) {
    if (state.get(id) !== undefined) continue;
    const found = visit(id);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Length of the longest dependency path starting at each node (0 for nodes without
 * dependencies). Precondition: the graph is acyclic.
 */
export function longestPathLengths(graph: DependencyGraph): Map<string, number> {
  const memo = new Map<string, number>();
  const length = (id: string): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    let best = 0;
    for (const dep of graph.get(id) ?? []) if (graph.has(dep)) best = Math.max(best, length(dep) + 1);
    memo.set(id, best);
    return best;
  };
  for (const id of graph.keys()) length(id);
  return memo;
}

/** Marathon's message for a cyclic graph. */
export const CYCLE_MESSAGE = "Dependency graph has cyclic dependencies.";

/** Gantry's addition naming the cycle: `Cycle: /a -> /b -> /a`. */
export function describeCycle(cycle: readonly string[]): string {
  return `Cycle: ${cycle.join(" -> ")}`;
}

/** The group ids enclosing `id`, innermost first, excluding the root. */
export function enclosingGroups(id: string): string[] {
  const out: string[] = [];
  for (let g = parentOf(id); !isRoot(g); g = parentOf(g)) out.push(g);
  return out;
}
