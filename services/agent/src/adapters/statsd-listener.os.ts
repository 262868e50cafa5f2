import { createSocket, type Socket } from "node:dgram";
import { StatsdAggregator, type StatsdPoint } from "../app/statsd-parser.ts";

/** The per-task StatsD UDP listeners of one agent. */
export interface StatsdListeners {
  /** Opens (or returns) the task's listener on `host`, an ephemeral port; the address goes into its environment. */
  open(taskId: string): Promise<{ host: string; port: number }>;
  /** Closes the task's listener (it ended). */
  close(taskId: string): void;
  /** This interval's aggregated points of every task with a listener. */
  flush(): Map<string, StatsdPoint[]>;
  closeAll(): void;
}

/**
 * One UDP socket per task on `host` (default 127.0.0.1: tasks on the host network reach it; a pod
 * in its own network namespace needs the agent's node address instead, see the README), each
 * feeding the task's StatsdAggregator, so what arrives on a port is the task's.
 */
export function startStatsdListeners(host = "127.0.0.1"): StatsdListeners {
  const sockets = new Map<string, { socket: Socket; port: number; agg: StatsdAggregator }>();
  return {
    async open(taskId) {
      const known = sockets.get(taskId);
      if (known) return { host, port: known.port };
      const socket = createSocket("udp4");
      const agg = new StatsdAggregator();
      socket.on("message", (msg) => agg.ingest(msg.toString("utf8")));
      socket.on("error", () => socket.close());
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(0, host, () => {
          socket.off("error", reject);
          resolve();
        });
      });
      socket.unref();
      const port = socket.address().port;
      sockets.set(taskId, { socket, port, agg });
      return { host, port };
    },
    close(taskId) {
      const s = sockets.get(taskId);
      if (!s) return;
      sockets.delete(taskId);
      s.socket.close();
    },
    flush() {
      const out = new Map<string, StatsdPoint[]>();
      for (const [taskId, s] of sockets) out.set(taskId, s.agg.flush());
      return out;
    },
    closeAll() {
      for (const id of [...sockets.keys()]) this.close(id);
    },
  };
}
