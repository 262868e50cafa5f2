/**
 * The `/app` pod of the DC/OS 1.9 overview (shared/seed/dcos-1.9-deep-dive.txt), as the overview
 * gives it: nginx and memcached on the `dcos` container network. Tests that run it add `exec`
 * commands (the overview's containers have none).
 */
export const SEED_POD = {
  id: "/app",
  containers: [
    {
      name: "nginx",
      resources: { cpus: 0.1, mem: 128 },
      endpoints: [{ name: "web", containerPort: 8080, hostPort: 0, protocol: ["tcp"], labels: { VIP_0: "/app:8080" } }],
      image: { id: "nginx", kind: "DOCKER" },
    },
    { name: "memcached", resources: { cpus: 0.1, mem: 128 } },
  ],
  scaling: { kind: "fixed", instances: 1 },
  networks: [{ name: "dcos", mode: "container" }],
};
