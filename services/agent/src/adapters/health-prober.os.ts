import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { HealthProbe, ProbeResult } from "../domain/index.ts";
import type { HealthProber, ProbeContext } from "../app/ports.ts";

/**
 * Runs health probes from the agent, as Marathon's checks do (and Mesos' for the MESOS_* forms):
 *
 * - HTTP(S): GET `http(s)://<host>:<port><path>` (host: 127.0.0.1 for a host port, the
 *   instance's address for a container port on a container network); 200–399 passes, 100–199 is ignored with
 *   `ignoreHttp1xx` (else fails), anything else fails (a readiness probe: only its `passCodes` pass); HTTPS certificates are not verified (the
 *   task's own, often self-signed).
 * - TCP: a connection is accepted.
 * - COMMAND: the command, with the task's environment, in its sandbox, in its own process group,
 *   exits 0. A probe past its timeout fails, and a command's whole group is SIGKILLed.
 */
export function osHealthProber(): HealthProber {
  return {
    async probe(probe, context) {
      if (probe.kind === "command") return commandProbe(probe, context);
      const host = hostOf(probe, context);
      // Never a stand-in address: 0.0.0.0 would reach the agent's own ports.
      if (host === undefined) return { outcome: "failed", cause: "the instance has no address on its network" };
      return probe.kind === "tcp" ? tcpProbe(probe, host) : httpProbe(probe, host);
    },
  };
}

/** Where a probe connects: the agent's loopback, or the instance's address on its container network. */
function hostOf(probe: HealthProbe, context: ProbeContext): string | undefined {
  return probe.address === "instance" ? context.instanceIp() : "127.0.0.1";
}

const timedOut = (probe: HealthProbe): ProbeResult => ({ outcome: "failed", cause: `timed out after ${probe.timeoutMs / 1000} s` });

function httpProbe(probe: HealthProbe, host: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = probe.kind === "https" ? httpsRequest : httpRequest;
    const req = request({ host, port: probe.port, path: probe.path, method: "GET", timeout: probe.timeoutMs, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      if (probe.passCodes) resolve(probe.passCodes.includes(code) ? { outcome: "passed" } : { outcome: "failed", cause: `HTTP ${code}` });
      else if (code >= 200 && code < 400) resolve({ outcome: "passed" });
      else if (code >= 100 && code < 200 && probe.ignoreHttp1xx) resolve({ outcome: "ignored" });
      else resolve({ outcome: "failed", cause: `HTTP ${code}` });
      req.destroy();
    });
    req.on("timeout", () => {
      resolve(timedOut(probe));
      req.destroy();
    });
    req.on("error", (err) => resolve({ outcome: "failed", cause: err.message }));
    req.end();
  });
}

function tcpProbe(probe: HealthProbe, host: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port: probe.port, timeout: probe.timeoutMs });
    socket.once("connect", () => {
      resolve({ outcome: "passed" });
      socket.destroy();
    });
    socket.once("timeout", () => {
      resolve(timedOut(probe));
      socket.destroy();
    });
    socket.once("error", (err) => resolve({ outcome: "failed", cause: err.message }));
  });
}

function commandProbe(probe: HealthProbe, context: ProbeContext): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const argv = context.wrap(probe.argv);
    const child = spawn(argv[0]!, argv.slice(1), { cwd: context.sandbox, env: context.env(), detached: true, stdio: "ignore" });
    const timer = setTimeout(() => {
      resolve(timedOut(probe));
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, probe.timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      resolve({ outcome: "failed", cause: err.message });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? { outcome: "passed" } : { outcome: "failed", cause: signal ? `ended by ${signal}` : `exited with code ${code}` });
    });
  });
}
