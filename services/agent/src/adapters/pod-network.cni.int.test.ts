import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@gantry/platform/logging";
import { within } from "@gantry/platform/testing";
import { cniPodNetworks, defaultNetworkConfig, podNetnsName, podNetnsPrefix, type CniNetworkConfig } from "./pod-network.cni.ts";
import type { PodNetworkAttachment, PodNetworks } from "../app/ports.ts";
import type { PortMapping } from "../domain/index.ts";

// Real namespaces, bridges and iptables rules, so root only. Everything is this file's own: a
// network config directory with networks on bridges `gtest<tag>`/`gto<tag>` and subnets of
// 198.18.0.0/15 (the benchmarking range, routed nowhere), its own agent id (so its own namespace
// prefix) and state directory. What the plugins change on the host beyond that (portmap's
// shared CNI-HOSTPORT-* chains, the bridge plugin turning on net.ipv4.ip_forward) is put back
// in `after` when this run was the one that changed it.

const PLUGIN_DIR = "/usr/lib/cni";
const isRoot = process.getuid?.() === 0;
const missingPlugins = ["bridge", "host-local", "portmap"].filter((p) => !existsSync(join(PLUGIN_DIR, p)));
const missingTools = ["ip", "iptables"].filter((t) => spawnSync(t, ["-V"]).status !== 0);
const skip = !isRoot
  ? "needs root (network namespaces, bridges, iptables)"
  : missingPlugins.length > 0
    ? `needs the CNI plugins ${missingPlugins.join(", ")} in ${PLUGIN_DIR} (Debian: containernetworking-plugins)`
    : missingTools.length > 0
      ? `needs ${missingTools.join(" and ")}`
      : false;

const logger = createLogger("pod-network-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const tag = randomBytes(3).toString("hex");
const agentId = `pod-network-test-${tag}`;
const bridge = `gtest${tag}`;
const oneBridge = `gto${tag}`;
const octet = randomInt(0, 256);
const subnet = `198.18.${octet}`;
const oneSubnet = `198.19.${octet}`;
const network = `gtest-${tag}`;
const oneNetwork = `gtest-one-${tag}`;
const brokenNetwork = `gtest-broken-${tag}`;
const CONTAINER_PORT = 8080;
const GREETING = "hello from the pod";

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8", timeout: 10_000 });
const run = (cmd: string, args: string[]) => {
  const r = sh(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
};
const natRules = () => run("iptables-save", ["-t", "nat"]);
const linkExists = (name: string) => sh("ip", ["link", "show", name]).status === 0;
const ipForward = () => readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
const PORTMAP_SHARED_CHAINS = ["CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"];

/** Our conflist shape (the built-in default's) on our own bridge and subnet. */
function testNetwork(name: string, bridgeName: string, range: Record<string, string>, stateDir: string): CniNetworkConfig {
  return {
    cniVersion: "1.0.0",
    name,
    plugins: [
      { type: "bridge", bridge: bridgeName, isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: "host-local", ranges: [[range]], routes: [{ dst: "0.0.0.0/0" }], dataDir: join(stateDir, "ipam") } },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** The first line a TCP server at host:port sends, within a deadline. */
function greeting(host: string, port: number, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (data += d));
    socket.on("end", () => resolve(data));
    socket.on("timeout", () => {
      socket.destroy();
      reject(new Error(`${host}:${port}: no answer within ${timeoutMs} ms`));
    });
    socket.on("error", (err) => reject(new Error(`${host}:${port}: ${err.message}`)));
  });
}

/** A host port nothing listens on now (tried by binding it). */
async function freeHostPort(): Promise<number> {
  for (;;) {
    const port = randomInt(20_000, 30_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Does a route of the host cover any of `prefix` (e.g. "172.31.")? Then a test must not put a bridge there. */
const routesInto = (prefix: string) => run("ip", ["-4", "route", "show", "table", "all"]).split("\n").some((l) => l.startsWith(prefix));

describe("CNI pod networks (real namespaces, bridge, host-local, portmap)", { skip }, () => {
  let dir: string;
  let configDir: string;
  let stateDir: string;
  let networks: PodNetworks;
  const children: ChildProcess[] = [];
  /** Every attach of this file, detached (again: it is idempotent) in `after`, so a failed test leaves no rules or leases. */
  const attached: Parameters<PodNetworks["detach"]>[0][] = [];
  const attach = async (instanceId: string, networkName: string, portMappings: PortMapping[]) => {
    const attachment = await networks.attach(instanceId, networkName, portMappings);
    attached.push({ ...attachment, instanceId, portMappings });
    return attachment;
  };
  const bridgesToRemove = new Set<string>();
  let forwardBefore = "";
  let sharedChainsExisted = true;

  /** Starts `node -e script` inside a namespace; resolves once it printed `ready`. */
  const inNamespace = (netnsName: string, script: string): Promise<ChildProcess> => {
    const child = spawn("ip", ["netns", "exec", netnsName, process.execPath, "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    return within(
      `${script} in ${netnsName} to print ready`,
      new Promise<ChildProcess>((resolve, reject) => {
        child.stdout!.setEncoding("utf8").on("data", (d: string) => {
          out += d;
          if (out.includes("ready")) resolve(child);
        });
        child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.on("exit", (code) => reject(new Error(`exited with ${code} before it was ready: ${out}`)));
      }),
      5_000,
    );
  };
  const greetingServer = (netnsName: string) =>
    inNamespace(netnsName, `require("net").createServer((s) => s.end(${JSON.stringify(GREETING)})).listen(${CONTAINER_PORT}, "0.0.0.0", () => console.log("ready"))`);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "gantry-pod-network-"));
    configDir = join(dir, "net.d");
    stateDir = join(dir, "state");
    run("mkdir", ["-p", configDir]);
    writeFileSync(join(configDir, "10-test.conflist"), JSON.stringify(testNetwork(network, bridge, { subnet: `${subnet}.0/24` }, stateDir)));
    // One address only: a second instance gets it only once the first released it.
    writeFileSync(join(configDir, "20-one.conflist"), JSON.stringify(testNetwork(oneNetwork, oneBridge, { subnet: `${oneSubnet}.0/24`, rangeStart: `${oneSubnet}.10`, rangeEnd: `${oneSubnet}.10` }, stateDir)));
    // An IPAM range that cannot be: host-local (run by bridge) refuses it.
    writeFileSync(join(configDir, "30-broken.conflist"), JSON.stringify(testNetwork(brokenNetwork, bridge, { subnet: `${subnet}.0/24`, rangeStart: `${oneSubnet}.5` }, stateDir)));
    writeFileSync(join(configDir, "40-garbage.conf"), "{ not json");
    for (const b of [bridge, oneBridge]) {
      assert.equal(linkExists(b), false, `bridge ${b} already exists`);
      bridgesToRemove.add(b);
    }
    forwardBefore = ipForward();
    sharedChainsExisted = sh("iptables", ["-t", "nat", "-S", "CNI-HOSTPORT-DNAT"]).status === 0;
    networks = cniPodNetworks({ agentId, configDir, pluginDirs: [PLUGIN_DIR], stateDir, logger });
  });

  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    for (const a of attached) await networks.detach(a);
    // What a failed test left: our namespaces (by this agent's prefix), our bridges.
    for (const ns of networks?.listNamespaces() ?? []) sh("ip", ["netns", "delete", ns]);
    for (const b of bridgesToRemove) if (linkExists(b)) sh("ip", ["link", "delete", b]);
    // portmap never removes its shared chains; remove them when this run made them and no one's rules are in them.
    if (!sharedChainsExisted && sh("iptables", ["-t", "nat", "-S", "CNI-HOSTPORT-DNAT"]).status === 0 && !natRules().includes("CNI-DN-")) {
      for (const line of natRules().split("\n")) {
        if (/^-A (PREROUTING|OUTPUT|POSTROUTING) .*-j CNI-HOSTPORT-/.test(line)) sh("/bin/sh", ["-c", `iptables -t nat ${line.replace(/^-A/, "-D")}`]);
      }
      for (const chain of PORTMAP_SHARED_CHAINS) {
        sh("iptables", ["-t", "nat", "-F", chain]);
        sh("iptables", ["-t", "nat", "-X", chain]);
      }
    }
    // The bridge plugin turns forwarding on for a gateway bridge; put it back as it was.
    if (forwardBefore !== "" && ipForward() !== forwardBefore) writeFileSync("/proc/sys/net/ipv4/ip_forward", forwardBefore);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe("an attached instance", () => {
    const instanceId = `web.instance-${tag}`;
    let hostPort = 0;
    let attachment: PodNetworkAttachment;
    let attachMs = 0;

    before(async () => {
      hostPort = await freeHostPort();
      const started = performance.now();
      attachment = await attach(instanceId, network, [{ hostPort, containerPort: CONTAINER_PORT, protocol: "tcp" }]);
      attachMs = performance.now() - started;
      await greetingServer(attachment.netnsName);
    });

    // Whatever the tests below did, the next tests start with no namespace of this agent.
    after(() => networks.detach({ ...attachment, instanceId, portMappings: [] }));

    it("has its own namespace, named by the agent's prefix, with lo up and eth0 on the network", (t) => {
      t.diagnostic(`attach took ${attachMs.toFixed(0)} ms`);
      assert.equal(attachment.netnsName, podNetnsName(agentId, instanceId));
      assert.ok(attachment.netnsName.startsWith(podNetnsPrefix(agentId)));
      assert.equal(attachment.netnsPath, `/run/netns/${attachment.netnsName}`);
      assert.ok(existsSync(attachment.netnsPath));
      assert.deepEqual(networks.listNamespaces(), [attachment.netnsName]);
      assert.equal(attachment.network, network);

      const links = JSON.parse(run("ip", ["-n", attachment.netnsName, "-j", "addr", "show"])) as { ifname: string; flags: string[]; addr_info: { family: string; local: string; prefixlen: number }[] }[];
      const lo = links.find((l) => l.ifname === "lo");
      assert.ok(lo?.flags.includes("UP"), `lo is up: ${JSON.stringify(lo)}`);
      const eth0 = links.find((l) => l.ifname === "eth0");
      assert.ok(eth0?.flags.includes("UP"), `eth0 is up: ${JSON.stringify(eth0)}`);
      const v4 = eth0!.addr_info.filter((a) => a.family === "inet");
      assert.deepEqual(v4.map((a) => `${a.local}/${a.prefixlen}`), [`${attachment.ip}/24`]);
      assert.match(attachment.ip, new RegExp(`^${subnet.replaceAll(".", "\\.")}\\.\\d+$`));
      assert.equal((attachment.result as { cniVersion: string }).cniVersion, "1.0.0", "the final (portmap) ADD result");
    });

    it("serves the host at the pod IP, and on the mapped host port at the bridge's gateway address and at 127.0.0.1", async () => {
      assert.equal(await greeting(attachment.ip, CONTAINER_PORT), GREETING);
      // portmap DNATs locally generated traffic to any local address (OUTPUT, --dst-type LOCAL);
      // 127.0.0.1 works because snat:true sets route_localnet on the bridge and masquerades.
      assert.equal(await greeting(`${subnet}.1`, hostPort), GREETING);
      assert.equal(await greeting("127.0.0.1", hostPort), GREETING);
    });

    it("lets two processes of the instance talk over its own 127.0.0.1", async () => {
      const client = `require("net").connect(${CONTAINER_PORT}, "127.0.0.1").setEncoding("utf8").on("data", (d) => process.stdout.write(d)).on("error", (e) => { console.error(e.message); process.exit(1); })`;
      const neighbour = spawnSync("ip", ["netns", "exec", attachment.netnsName, process.execPath, "-e", client], { encoding: "utf8", timeout: 5_000 });
      assert.equal(neighbour.stdout, GREETING, neighbour.stderr);
      // …and its loopback is not the host's: nothing of the host answers there.
      const hostSide = spawnSync("ip", ["netns", "exec", attachment.netnsName, process.execPath, "-e", `require("net").connect(${hostPort}, "127.0.0.1").on("connect", () => process.exit(0)).on("error", () => process.exit(3))`], { timeout: 5_000 });
      assert.equal(hostSide.status, 3, "the host port is not listening on the pod's own loopback");
    });

    it("detach removes the namespace, the host's veth and the port rules, and releases the IP; a second detach is a no-op", async (t) => {
      const hostVeth = (attachment.result as { interfaces: { name: string; sandbox?: string }[] }).interfaces.find((i) => i.sandbox === undefined && i.name !== bridge)?.name;
      assert.ok(hostVeth && linkExists(hostVeth), `the host end of the veth exists: ${hostVeth}`);
      const lease = join(stateDir, "ipam", network, attachment.ip);
      assert.ok(existsSync(lease), "host-local holds the address");
      assert.match(natRules(), new RegExp(`--dport ${hostPort} -j DNAT --to-destination ${attachment.ip.replaceAll(".", "\\.")}:${CONTAINER_PORT}`));
      for (const child of children) child.kill("SIGKILL");

      const started = performance.now();
      await networks.detach({ netnsName: attachment.netnsName, network, instanceId, portMappings: [{ hostPort, containerPort: CONTAINER_PORT, protocol: "tcp" }] });
      t.diagnostic(`detach took ${(performance.now() - started).toFixed(0)} ms`);

      assert.equal(existsSync(attachment.netnsPath), false);
      assert.deepEqual(networks.listNamespaces(), []);
      assert.equal(linkExists(hostVeth), false, "the veth went with the namespace");
      const rules = natRules();
      assert.ok(!rules.includes(instanceId), `no rule names the instance:\n${rules}`);
      assert.ok(!rules.includes(`--dport ${hostPort}`), `no rule for host port ${hostPort}:\n${rules}`);
      assert.ok(!rules.includes("CNI-DN-"), `no per-instance DNAT chain:\n${rules}`);
      assert.equal(existsSync(lease), false, "host-local released the address");
      await assert.rejects(greeting("127.0.0.1", hostPort, 1_000));

      await networks.detach({ netnsName: attachment.netnsName, network, instanceId, portMappings: [] });
      assert.deepEqual(networks.listNamespaces(), []);
    });
  });

  it("gives a released address again: a one-address network takes a second instance only after the first detached, even by the sweep's detach that knows only the namespace", async () => {
    const hostPort = await freeHostPort();
    const first = await attach(`one.instance-a-${tag}`, oneNetwork, [{ hostPort, containerPort: 80, protocol: "udp" }]);
    assert.equal(first.ip, `${oneSubnet}.10`);
    assert.equal(networks.namespaceOf(`one.instance-a-${tag}`), first.netnsName);
    assert.match(natRules(), new RegExp(`-p udp .*--dport ${hostPort} -j DNAT`));
    await assert.rejects(networks.attach(`one.instance-b-${tag}`, oneNetwork, []), (err: Error) => {
      assert.match(err.message, new RegExp(`one\\.instance-b-${tag} to CNI network "${oneNetwork}" failed: plugin "bridge" \\(1 of 2\\): .*no IP addresses available`));
      return true;
    });
    assert.deepEqual(networks.listNamespaces(), [first.netnsName], "the failed attach left no namespace");
    // As the start-up sweep does for a namespace no instance names: the adapter's own record supplies the rest.
    await networks.detach({ instanceId: first.netnsName, netnsName: first.netnsName, network: "", portMappings: [] });
    assert.ok(!natRules().includes(`--dport ${hostPort}`), "its port rules are gone");
    const second = await attach(`one.instance-b-${tag}`, oneNetwork, []);
    assert.equal(second.ip, `${oneSubnet}.10`);
    await networks.detach({ ...second, instanceId: `one.instance-b-${tag}`, portMappings: [] });
    assert.deepEqual(networks.listNamespaces(), []);
  });

  it("refuses an unknown network, naming it and the networks there are (and the config files it could not read)", async () => {
    await assert.rejects(networks.attach(`x.instance-${tag}`, "nope", []), (err: Error) => {
      assert.match(err.message, /CNI network "nope" failed: no CNI network "nope" in /);
      for (const name of [network, oneNetwork, brokenNetwork, "dcos"]) assert.ok(err.message.includes(`"${name}"`), `lists ${name}: ${err.message}`);
      assert.match(err.message, /unreadable: 40-garbage\.conf: /);
      return true;
    });
    await assert.rejects(networks.attach("bad/id", network, []), /not a valid CNI container id/);
    assert.deepEqual(networks.listNamespaces(), []);
  });

  it("fails with the plugin's own message when a plugin fails, and leaves no namespace or record behind", async () => {
    const instanceId = `broken.instance-${tag}`;
    await assert.rejects(networks.attach(instanceId, brokenNetwork, [{ hostPort: await freeHostPort(), containerPort: 80, protocol: "tcp" }]), (err: Error) => {
      assert.equal(err.name, "PodNetworkError");
      assert.match(err.message, new RegExp(`CNI network "${brokenNetwork}" failed: plugin "bridge" \\(1 of 2\\): .*${oneSubnet.replaceAll(".", "\\.")}\\.5.*\\(CNI error \\d+`));
      return true;
    });
    assert.deepEqual(networks.listNamespaces(), []);
    assert.equal(existsSync(join(stateDir, "attachments", `${podNetnsName(agentId, instanceId)}.json`)), false);
  });

  it("detaches an instance that was never attached, and leaves alone a namespace that is not its own", async () => {
    await networks.detach({ netnsName: podNetnsName(agentId, `ghost.instance-${tag}`), network, instanceId: `ghost.instance-${tag}`, portMappings: [{ hostPort: 1, containerPort: 1, protocol: "udp" }] });
    const foreign = `gtest-foreign-${tag}`;
    run("ip", ["netns", "add", foreign]);
    try {
      await networks.detach({ netnsName: foreign, network, instanceId: `foreign.instance-${tag}`, portMappings: [] });
      assert.ok(existsSync(`/run/netns/${foreign}`), "not this agent's: kept");
      assert.deepEqual(networks.listNamespaces(), [], "and not listed as this agent's");
    } finally {
      sh("ip", ["netns", "delete", foreign]);
    }
  });

  it("has a built-in dcos network: bridge gantry0 as gateway on 172.31.0.0/16, host-local state under stateDir, then portmap with snat", () => {
    assert.deepEqual(defaultNetworkConfig("/var/lib/gantry/cni"), {
      cniVersion: "1.0.0",
      name: "dcos",
      plugins: [
        { type: "bridge", bridge: "gantry0", isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: "host-local", ranges: [[{ subnet: "172.31.0.0/16" }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: "/var/lib/gantry/cni/ipam" } },
        { type: "portmap", capabilities: { portMappings: true }, snat: true },
      ],
    });
  });

  it("attaches to the built-in dcos network when no config file names it", { skip: isRoot && (linkExists("gantry0") ? "gantry0 exists already (another agent's)" : routesInto("172.31.") ? "the host routes into 172.31.0.0/16" : false) }, async () => {
    bridgesToRemove.add("gantry0");
    const instanceId = `dcos.instance-${tag}`;
    const attachment = await attach(instanceId, "dcos", []);
    try {
      assert.match(attachment.ip, /^172\.31\.\d+\.\d+$/);
      assert.ok(existsSync(join(stateDir, "ipam", "dcos", attachment.ip)), "host-local keeps its state under stateDir");
      await greetingServer(attachment.netnsName);
      assert.equal(await greeting(attachment.ip, CONTAINER_PORT), GREETING);
    } finally {
      await networks.detach({ ...attachment, instanceId, portMappings: [] });
    }
    assert.deepEqual(networks.listNamespaces(), []);
  });
});
