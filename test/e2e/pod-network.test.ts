import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { eventually, marathonHttp, pidsOfTask, SEED_POD, startHarnessCluster, type HarnessCluster, type Json } from "../support/index.ts";

// The DC/OS 1.9 overview's `/app` pod (shared/seed), given `exec` commands that run Debian's
// nginx and memcached (installed by .ci/run), through the whole cluster with a real agent:
// both containers in the pod's own network namespace on the `dcos` network (CNI), nginx
// reaching memcached on the pod's localhost, nginx's endpoint published on its host port.

const needs = process.getuid?.() !== 0 ? "needs root (network namespaces)" : !existsSync("/usr/sbin/nginx") || !existsSync("/usr/bin/memcached") ? "needs nginx and memcached (.ci/run installs them)" : !existsSync("/usr/lib/cni/bridge") ? "needs CNI plugins (.ci/run installs them)" : false;
const BRIDGE = "gantry0";

let cluster: HarnessCluster;
let bridgeExisted = false;
const { api } = marathonHttp(() => cluster);

before(async () => {
  if (needs) return;
  bridgeExisted = existsSync(`/sys/class/net/${BRIDGE}`);
  cluster = await startHarnessCluster({ prefix: "podnet" });
});

after(async () => {
  if (needs) return;
  const home = cluster?.gantryHome;
  await cluster?.destroy();
  // Stopping waits for every task's end to be handled: nothing (an instance record, CNI state) is written after it.
  await new Promise((r) => setTimeout(r, 1_000));
  if (home) assert.equal(existsSync(home), false, "nothing written in the agent's directory after the cluster stopped");
  // The built-in `dcos` network's bridge: the test's to remove when it made it.
  if (!bridgeExisted && existsSync(`/sys/class/net/${BRIDGE}`)) execFileSync("ip", ["link", "del", BRIDGE]);
});

/** nginx serving memcached's values by URI on the pod's port 8080; everything it writes stays in its sandbox. */
const NGINX_CONF = [
  "worker_processes 1; pid nginx.pid; error_log stderr; user root; events {}",
  "http { access_log off; client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp; uwsgi_temp_path tmp; scgi_temp_path tmp;",
  '  server { listen 8080; location / { set $memcached_key "$uri"; memcached_pass 127.0.0.1:11211; default_type text/plain; } } }',
].join("\n");

const [nginx, memcached] = SEED_POD.containers;
const pod: Json = {
  ...SEED_POD,
  containers: [
    {
      ...nginx,
      exec: {
        command: {
          shell: `mkdir -p tmp && cat > nginx.conf <<'EOF'\n${NGINX_CONF}\nEOF\nexec /usr/sbin/nginx -p "$MESOS_SANDBOX" -c "$MESOS_SANDBOX/nginx.conf" -g 'daemon off;'`,
        },
      },
    },
    {
      ...memcached,
      // memcached on the pod's loopback only, seeded with one value once it listens.
      exec: { command: { shell: "/usr/bin/memcached -u nobody -l 127.0.0.1 -p 11211 & until printf 'set /hello 0 0 12\\r\\nfrom the pod\\r\\n' | timeout 1 bash -c 'cat > /dev/tcp/127.0.0.1/11211' 2>/dev/null; do sleep 0.1; done; wait" } },
    },
  ],
};

/**
 * The nginx and memcached processes of the pod's tasks, by name: memcached keeps the task's
 * environment (GANTRY_TASK_ID); nginx rewrites its own, but its title names its sandbox (-p).
 */
function podServers(taskIds: readonly string[]): Map<string, number> {
  const found = new Map<string, number>();
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (name !== "nginx" && name !== "memcached") continue;
      const environ = readFileSync(`/proc/${pid}/environ`);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (taskIds.some((id) => environ.includes(`GANTRY_TASK_ID=${id}\0`) || cmdline.includes(id))) found.set(name, Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test("the /app pod: nginx and memcached in the pod's own network namespace, nginx reaching memcached on localhost, STABLE", { skip: needs }, async () => {
  const created = await api("POST", "/v2/pods", { body: pod });
  assert.equal(created.status, 201, created.text);
  const status = await eventually("the pod STABLE", async () => {
    const answer = await api("GET", "/v2/pods/app::status");
    return answer.json.status === "STABLE" ? answer.json : undefined;
  }, 60_000);
  const [instance] = status.instances as Json[];
  const containers = (instance!.containers as Json[]).map((c) => [c.name, c.status]).sort();
  assert.deepEqual(containers, [["memcached", "TASK_RUNNING"], ["nginx", "TASK_RUNNING"]]);
  const hostPort = (instance!.containers as Json[]).find((c) => c.name === "nginx")!.endpoints.find((e: Json) => e.name === "web").allocatedHostPort as number;
  assert.ok(hostPort > 0, "nginx's endpoint has a host port");

  // nginx → memcached on the pod's localhost, seen from the host through the published port.
  const body = await eventually("nginx to answer with memcached's value", async () => {
    try {
      const res = await fetch(`http://127.0.0.1:${hostPort}/hello`, { signal: AbortSignal.timeout(2_000) });
      return res.status === 200 ? await res.text() : undefined;
    } catch {
      return undefined;
    }
  }, 30_000);
  assert.equal(body, "from the pod");
  // nginx and memcached live in one network namespace, the pod's, not the agent's (their launch
  // wrappers, which only wait for them, stay outside).
  const taskIds = (instance!.containers as Json[]).map((c) => c.containerId as string);
  const netnsOf = (pid: number) => readlinkSync(`/proc/${pid}/ns/net`);
  const servers = new Map([...podServers(taskIds)].map(([name, pid]) => [name, netnsOf(pid)]));
  assert.deepEqual([...servers.keys()].sort(), ["memcached", "nginx"]);
  assert.equal(new Set(servers.values()).size, 1, "one namespace for both");
  assert.notEqual(servers.get("nginx"), netnsOf(process.pid), "not the agent's");

  assert.equal((await api("DELETE", "/v2/pods/app?force=true")).status, 202);
  await eventually("the pod's processes gone", async () => {
    for (const id of taskIds) if ((await pidsOfTask(id)).length > 0) return undefined;
    return podServers(taskIds).size === 0;
  }, 30_000);
});
