import type { ServiceProcess } from "@gantry/test/support";

/** Polls `probe` until it returns a value (or true); fails after `timeoutMs` naming `what`, with the processes' last words. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, processes: ServiceProcess[], intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    assertRunning(processes, what);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${processes.map((p) => p.output()).join("\n")}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Fails at once, with its last words, when a process the benchmark needs has ended. */
export function assertRunning(processes: ServiceProcess[], what: string): void {
  const ended = processes.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
  if (ended) throw new Error(`${ended.name} ended (${ended.child.exitCode ?? ended.child.signalCode}) while waiting for ${what}\n${ended.output()}`);
}
