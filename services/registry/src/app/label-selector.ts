import { GantryError } from "@gantry/platform";

/** One term of a Marathon label selector. */
export type LabelTerm =
  | { op: "exists"; key: string }
  | { op: "==" | "!="; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] };

/**
 * Parses Marathon's label selector (`GET /v2/apps?label=`): terms `k`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, joined by commas (AND; commas inside parentheses belong to the
 * set). InvalidArgument naming the term that does not parse.
 */
export function parseLabelSelector(selector: string): LabelTerm[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((raw) => {
    const t = raw.trim();
    let m = /^([^\s=!(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t);
    if (m) return { op: m[2] as "in" | "notin", key: m[1]!, values: m[3]!.split(",").map((v) => v.trim()) };
    m = /^([^\s=!(),]+)\s*(==|!=)\s*(\S*)$/.exec(t);
    if (m) return { op: m[2] as "==" | "!=", key: m[1]!, value: m[3]! };
    if (/^[^\s=!(),]+$/.test(t)) return { op: "exists", key: t };
    throw new GantryError("InvalidArgument", `Unsupported label selector term '${t}'`, { violations: [{ path: "/label", errors: [`cannot parse '${t}'`] }] });
  });
}

/** True when `labels` satisfy every term; as in Marathon, every term needs the key to be present. */
export function matchesLabelSelector(terms: readonly LabelTerm[], labels: Readonly<Record<string, string>>): boolean {
  return terms.every((t) => {
    const v = Object.hasOwn(labels, t.key) ? labels[t.key] : undefined;
    switch (t.op) {
      case "exists":
        return v !== undefined;
      case "==":
        return v === t.value;
      case "!=":
        return v !== undefined && v !== t.value;
      case "in":
        return v !== undefined && t.values.includes(v);
      case "notin":
        return v !== undefined && !t.values.includes(v);
    }
  });
}
