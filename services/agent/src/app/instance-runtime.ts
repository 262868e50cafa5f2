import type { Logger } from "@gantry/platform/logging";
import type { InstancePlan, InstanceRecord } from "../domain/index.ts";
import type { InstanceStore, PodNetworks } from "./ports.ts";

/** What the tasks of a prepared instance are started with. */
export interface PreparedInstance {
  /** The network namespace to run in, and the instance's address there; undefined on the agent's own network. */
  netnsPath: string | undefined;
  ip: string | undefined;
  /** Each volume's directory on the agent: ephemeral ones in the instance's directory, HOST ones their path. */
  volumeDirs: ReadonlyMap<string, string>;
}

/**
 * What an instance's containers share, set up before the first of them starts and torn down
 * after the last ended: its network namespace on a container network (CNI) and its ephemeral
 * volumes. The record is written before the network is asked for (write-ahead, like task
 * checkpoints), so a crash at any point leaves nothing that a restarted agent cannot find.
 * Instances on the agent's own network without volumes (most apps) need nothing here.
 */
export class InstanceRuntime {
  private readonly records = new Map<string, InstanceRecord>();
  private readonly store: InstanceStore;
  private readonly networks: PodNetworks | undefined;
  private readonly agentId: string;
  private readonly logger: Logger;
  private readonly now: () => Date;

  constructor(options: { store: InstanceStore; networks: PodNetworks | undefined; agentId: string; logger: Logger; now: () => Date }) {
    this.store = options.store;
    this.networks = options.networks;
    this.agentId = options.agentId;
    this.logger = options.logger;
    this.now = options.now;
  }

  /** Sets up the instance's volumes and network; throws with a message naming what failed (nothing is left attached then). */
  async prepare(plan: InstancePlan, taskIds: readonly string[]): Promise<PreparedInstance> {
    const volumeDirs = new Map(plan.volumes.map((v) => [v.name, v.hostPath ?? this.store.volumeDir(plan.instanceId, v.name)]));
    if (plan.network === undefined) return { netnsPath: undefined, ip: undefined, volumeDirs };
    const networks = this.networks;
    if (networks === undefined) throw new Error(`container network "${plan.network.name}" needs CNI, which this agent does not have (it runs as root with CNI plugins)`);
    const record: InstanceRecord = {
      version: 1,
      instanceId: plan.instanceId,
      agentId: this.agentId,
      taskIds: [...taskIds],
      network: { name: plan.network.name, netnsName: networks.namespaceOf(plan.instanceId), portMappings: plan.network.portMappings },
    };
    this.store.write(record);
    this.records.set(plan.instanceId, record);
    try {
      const attached = await networks.attach(plan.instanceId, plan.network.name, plan.network.portMappings);
      record.network!.attachment = { netnsPath: attached.netnsPath, ip: attached.ip, result: attached.result };
      this.store.write(record);
      this.logger.info({ instance: plan.instanceId, network: plan.network.name, ip: attached.ip, ports: plan.network.portMappings }, "instance attached to its network");
      return { netnsPath: attached.netnsPath, ip: attached.ip, volumeDirs };
    } catch (err) {
      await this.release(record);
      throw err;
    }
  }

  /** The address of an instance on its container network (recovered ones included); undefined when it has none. */
  ipOf(instanceId: string): string | undefined {
    return this.records.get(instanceId)?.network?.attachment?.ip;
  }

  /** The network namespace of an instance on a container network (recovered ones included); undefined when it has none. */
  netnsPathOf(instanceId: string): string | undefined {
    return this.records.get(instanceId)?.network?.attachment?.netnsPath;
  }

  /** One task of an instance ended; once none of `liveTaskIds` belongs to it, its network is released. */
  async taskEnded(instanceId: string, liveTaskIds: ReadonlySet<string>): Promise<void> {
    const record = this.records.get(instanceId);
    if (record === undefined || record.taskIds.some((id) => liveTaskIds.has(id))) return;
    await this.release(record);
  }

  /**
   * At start, after the tasks were recovered: keeps the records of instances with live tasks,
   * releases the others' networks (their tasks ended while the agent was down), and deletes
   * every network namespace of this agent that no kept record names (a crash mid-attach).
   */
  async recover(liveTaskIds: ReadonlySet<string>): Promise<void> {
    const kept = new Set<string>();
    for (const record of this.store.list()) {
      if (record.agentId !== this.agentId || record.network === undefined || record.releasedAt !== undefined) continue;
      if (record.taskIds.some((id) => liveTaskIds.has(id))) {
        this.records.set(record.instanceId, record);
        kept.add(record.network.netnsName);
      } else {
        await this.release(record);
      }
    }
    for (const name of this.networks?.listNamespaces() ?? []) {
      if (kept.has(name)) continue;
      this.logger.warn({ netns: name }, "network namespace no instance names: deleting it");
      await this.networks!.detach({ instanceId: name, netnsName: name, network: "", portMappings: [] });
    }
  }

  private async release(record: InstanceRecord): Promise<void> {
    this.records.delete(record.instanceId);
    const network = record.network;
    if (network === undefined || this.networks === undefined) return;
    await this.networks.detach({ instanceId: record.instanceId, netnsName: network.netnsName, network: network.name, portMappings: network.portMappings });
    record.releasedAt = this.now().toISOString();
    this.store.write(record);
    this.logger.info({ instance: record.instanceId, network: network.name }, "instance network released");
  }
}
