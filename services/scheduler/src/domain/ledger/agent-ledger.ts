import type { AgentNode, GpuDevice } from "../agent-node.ts";
import { addResources, subtractResources, ZERO, type ResourceAmount } from "../resources.ts";

/** An amount of one role's resources. */
export interface RoleShare {
  role: string;
  resources: ResourceAmount;
}

/** What one instance holds on its agent: scalars per role, host ports (in request order), GPU device indices. */
export interface Allocation {
  byRole: readonly RoleShare[];
  ports: readonly number[];
  gpus: readonly number[];
}

const SCALARS = ["cpus", "mem", "disk", "gpus"] as const;

/**
 * One agent's allocation ledger: what each role offers and what live instances hold of it, the
 * host ports and GPU devices in use. Kept by the fold (an instance placed holds, an instance ended
 * releases), never recomputed from all instances: every question is O(roles) or O(ports asked).
 * Holding is keyed by instance, so a placement applied tentatively in a pass and then folded from
 * its own event is counted once.
 */
export class AgentLedger {
  readonly agentId: string;
  #total: ReadonlyMap<string, ResourceAmount>;
  #ranges: readonly { begin: number; end: number }[];
  #portCount: number;
  #devices: readonly GpuDevice[];
  readonly #used = new Map<string, ResourceAmount>();
  readonly #ports = new Set<number>();
  readonly #gpus = new Set<number>();
  readonly #held = new Map<string, Allocation>();
  /** What is free per role, recomputed when a hold or release touches the role (the hot path reads it without allocating). */
  readonly #free = new Map<string, ResourceAmount>();
  #portCursor = 0;

  constructor(agent: Pick<AgentNode, "agentId" | "totalByRole" | "portRanges" | "gpus" | "total">) {
    this.agentId = agent.agentId;
    this.#total = agent.totalByRole;
    this.#ranges = agent.portRanges;
    this.#portCount = agent.portRanges.reduce((n, r) => n + (r.end - r.begin + 1), 0);
    this.#devices = devicesOf(agent);
  }

  /** Takes a re-registration's offer (what is held stays held, even if it no longer fits). */
  update(agent: Pick<AgentNode, "totalByRole" | "portRanges" | "gpus" | "total">): void {
    this.#total = agent.totalByRole;
    this.#ranges = agent.portRanges;
    this.#portCount = agent.portRanges.reduce((n, r) => n + (r.end - r.begin + 1), 0);
    this.#devices = devicesOf(agent);
    this.#free.clear();
  }

  /** True when the agent offers resources of any of `roles`. */
  offersAny(roles: readonly string[]): boolean {
    for (const role of roles) if (this.#total.has(role)) return true;
    return false;
  }

  /** What is free of one role. */
  freeOf(role: string): ResourceAmount {
    let free = this.#free.get(role);
    if (free === undefined) {
      const total = this.#total.get(role);
      free = total ? subtractResources(total, this.#used.get(role) ?? ZERO) : ZERO;
      this.#free.set(role, free);
    }
    return free;
  }

  /** What is free across `roles` together (no allocation when only one of them is offered). */
  freeIn(roles: readonly string[]): ResourceAmount {
    let only: string | undefined;
    let offered = 0;
    for (const role of roles) {
      if (!this.#total.has(role)) continue;
      offered++;
      only = role;
    }
    if (offered === 1) return this.freeOf(only!);
    let free = ZERO;
    for (const role of roles) if (this.#total.has(role)) free = addResources(free, this.freeOf(role));
    return free;
  }

  /**
   * Whether `requests` can all be had (the cheap question of the ports check: fixed ports free and
   * in range, and enough free ports for the dynamic ones), without choosing them.
   */
  canAssignPorts(requests: readonly { hostPort: number }[]): boolean {
    let dynamic = 0;
    let fixed = 0;
    for (let i = 0; i < requests.length; i++) {
      const port = requests[i]!.hostPort;
      if (port === 0) {
        dynamic++;
        continue;
      }
      fixed++;
      if (!this.#inRanges(port) || this.#ports.has(port)) return false;
      for (let j = 0; j < i; j++) if (requests[j]!.hostPort === port) return false;
    }
    return dynamic === 0 || this.#portCount - this.#ports.size - fixed >= dynamic;
  }

  /** Everything held, all roles together. */
  used(): ResourceAmount {
    let used = ZERO;
    for (const u of this.#used.values()) used = addResources(used, u);
    return used;
  }

  /**
   * Splits `need` over `roles`: each scalar is taken from reserved roles first (in the order
   * given), then from "*". Undefined when the roles together do not cover it.
   */
  split(need: ResourceAmount, roles: readonly string[]): RoleShare[] | undefined {
    // The common case: the first role to take from (reserved ones first) covers it all.
    let first: string | undefined;
    for (const role of roles) {
      if (role !== "*" && this.#total.has(role)) {
        first = role;
        break;
      }
    }
    if (first === undefined && roles.includes("*") && this.#total.has("*")) first = "*";
    if (first !== undefined) {
      const free = this.freeOf(first);
      if (free.cpus + 1e-9 >= need.cpus && free.mem + 1e-9 >= need.mem && free.disk + 1e-9 >= need.disk && free.gpus >= need.gpus) return [{ role: first, resources: need }];
    }
    const order = [...roles.filter((r) => r !== "*"), ...(roles.includes("*") ? ["*"] : [])].filter((r) => this.#total.has(r));
    const shares = new Map<string, ResourceAmount>();
    for (const scalar of SCALARS) {
      let left = need[scalar];
      for (const role of order) {
        if (left <= 0) break;
        const take = Math.min(left, this.freeOf(role)[scalar]);
        if (take <= 0) continue;
        shares.set(role, { ...(shares.get(role) ?? ZERO), [scalar]: round((shares.get(role) ?? ZERO)[scalar] + take) });
        left = round(left - take);
      }
      if (left > 1e-9) return undefined;
    }
    return [...shares].map(([role, resources]) => ({ role, resources }));
  }

  /**
   * Host ports for `requests` (0 = any free port of the ranges, else exactly that port), none
   * twice and none in use; `taken` are ports chosen already for the same instance. Undefined when
   * they cannot all be had. Dynamic ports rotate through the ranges, so a port freed a moment ago
   * is not handed out again at once.
   */
  assignPorts(requests: readonly { hostPort: number }[]): number[] | undefined {
    const chosen: number[] = [];
    const taken = new Set<number>();
    for (const r of requests) {
      if (r.hostPort === 0) continue;
      if (!this.#inRanges(r.hostPort) || this.#ports.has(r.hostPort) || taken.has(r.hostPort)) return undefined;
      taken.add(r.hostPort);
    }
    let cursor = this.#portCursor;
    for (const r of requests) {
      if (r.hostPort !== 0) {
        chosen.push(r.hostPort);
        continue;
      }
      let found: number | undefined;
      for (let tried = 0; tried < this.#portCount; tried++) {
        const port = this.#portAt((cursor + tried) % this.#portCount);
        if (!this.#ports.has(port) && !taken.has(port)) {
          found = port;
          cursor = (cursor + tried + 1) % this.#portCount;
          break;
        }
      }
      if (found === undefined) return undefined;
      taken.add(found);
      chosen.push(found);
    }
    return chosen;
  }

  /** `count` free GPU devices (whole devices, exclusive), lowest indices first; undefined when fewer are free. */
  assignGpus(count: number): GpuDevice[] | undefined {
    if (count === 0) return [];
    const free = this.#devices.filter((d) => !this.#gpus.has(d.index));
    return free.length >= count ? free.slice(0, count) : undefined;
  }

  /** The device of an index (for views and launch commands). */
  device(index: number): GpuDevice | undefined {
    return this.#devices.find((d) => d.index === index);
  }

  /** Whether the agent has GPU devices at all. */
  get hasGpus(): boolean {
    return this.#devices.length > 0;
  }

  /** Records what an instance holds; false (and nothing changes) when it holds already. */
  hold(instanceId: string, allocation: Allocation): boolean {
    if (this.#held.has(instanceId)) return false;
    this.#held.set(instanceId, allocation);
    for (const share of allocation.byRole) {
      this.#used.set(share.role, addResources(this.#used.get(share.role) ?? ZERO, share.resources));
      this.#free.delete(share.role);
    }
    for (const port of allocation.ports) this.#ports.add(port);
    for (const gpu of allocation.gpus) this.#gpus.add(gpu);
    if (allocation.ports.length > 0) this.#portCursor = (this.#indexOf(allocation.ports[allocation.ports.length - 1]!) + 1) % Math.max(1, this.#portCount);
    return true;
  }

  /** Frees what an instance held; undefined when it held nothing. */
  release(instanceId: string): Allocation | undefined {
    const allocation = this.#held.get(instanceId);
    if (!allocation) return undefined;
    this.#held.delete(instanceId);
    for (const share of allocation.byRole) {
      this.#used.set(share.role, subtractResources(this.#used.get(share.role) ?? ZERO, share.resources));
      this.#free.delete(share.role);
    }
    for (const port of allocation.ports) this.#ports.delete(port);
    for (const gpu of allocation.gpus) this.#gpus.delete(gpu);
    return allocation;
  }

  /** Host ports in use, ascending. */
  portsInUse(): number[] {
    return [...this.#ports].sort((a, b) => a - b);
  }

  /** GPU device indices in use. */
  gpusInUse(): ReadonlySet<number> {
    return this.#gpus;
  }

  /** The roles the agent offers, with totals. */
  totals(): ReadonlyMap<string, ResourceAmount> {
    return this.#total;
  }

  #inRanges(port: number): boolean {
    return this.#ranges.some((r) => port >= r.begin && port <= r.end);
  }

  #portAt(i: number): number {
    for (const r of this.#ranges) {
      const size = r.end - r.begin + 1;
      if (i < size) return r.begin + i;
      i -= size;
    }
    throw new RangeError("port index past the agent's ranges");
  }

  #indexOf(port: number): number {
    let offset = 0;
    for (const r of this.#ranges) {
      if (port >= r.begin && port <= r.end) return offset + (port - r.begin);
      offset += r.end - r.begin + 1;
    }
    return this.#portCursor;
  }
}

/** The agent's GPU devices; an agent that counts GPUs without listing them gets indices 0..n-1. */
function devicesOf(agent: Pick<AgentNode, "gpus" | "total">): readonly GpuDevice[] {
  if (agent.gpus.length > 0) return agent.gpus;
  return Array.from({ length: agent.total.gpus }, (_, index) => ({ index, uuid: "", model: "" }));
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
