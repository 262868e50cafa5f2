import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { agentV1, registryV1RunSpec } from "@gantry/proto";
import { launchInstanceCommand, runSpecOf, type AssignmentInit, type RunSpecInit } from "../testing/fake-scheduler.ts";
import { decideInstanceLaunch, instanceShapeProblem, type InstanceLaunchContext } from "./instance-launch.ts";

const { NetworkMode, VolumeKind } = registryV1RunSpec;
const agent: InstanceLaunchContext = {
  gpus: [
    { index: 0, uuid: "GPU-a" },
    { index: 1, uuid: "GPU-b" },
    { index: 2, uuid: "GPU-c" },
  ],
  gpusInUse: new Map([[2, "other.1"]]),
};

/** The LaunchInstance of instance `i1` for a run spec and an assignment. */
function launchOf(init: RunSpecInit, assignment?: AssignmentInit): agentV1.LaunchInstance {
  const command = launchInstanceCommand("i1", runSpecOf(init), assignment);
  assert.equal(command.command.case, "launchInstance");
  return command.command.value;
}
const web = { name: "web", shell: "serve" };

describe("LaunchInstance decisions: what the agent refuses", () => {
  const rows: { name: string; launch: agentV1.LaunchInstance; message: RegExp | string; taskIds?: string[] }[] = [
    {
      name: "two container networks",
      launch: launchOf({ containers: [web], networks: [{ mode: NetworkMode.CONTAINER, name: "dcos" }, { mode: NetworkMode.CONTAINER, name: "blue" }] }),
      message: 'an instance joins one container network on this agent; the run spec names 2: CONTAINER "dcos", CONTAINER "blue"',
    },
    {
      name: "volumes other than HOST and EPHEMERAL",
      launch: launchOf({ containers: [web], volumes: [{ name: "logs", kind: VolumeKind.HOST, hostPath: "/var/log" }, { name: "data", kind: VolumeKind.PERSISTENT, sizeMb: 10 }, { name: "tmp", kind: VolumeKind.EPHEMERAL }] }),
      message: /^volumes other than HOST and EPHEMERAL are not supported by this agent yet: "data" \(PERSISTENT\)$/,
    },
    {
      name: "an artifact the agent cannot fetch, named",
      launch: launchOf({ containers: [{ ...web, artifacts: [{ uri: "hdfs://nn/app.tgz" }] }] }),
      message: /^artifact hdfs:\/\/nn\/app\.tgz: scheme hdfs:\/\/ is not supported/,
    },
    { name: "a mount of no volume", launch: launchOf({ containers: [{ ...web, volumeMounts: [{ name: "nope", mountPath: "data" }] }] }), message: 'volume mount "nope" names no volume of the run spec' },
    {
      name: "an ephemeral volume at an absolute path (Mesos needs an image for that)",
      launch: launchOf({ containers: [{ ...web, volumeMounts: [{ name: "tmp", mountPath: "/data" }] }], volumes: [{ name: "tmp", kind: VolumeKind.EPHEMERAL }] }),
      message: 'volume mount "tmp": the mount path of an ephemeral volume must be relative to the sandbox without a container image (/data)',
    },
    {
      name: "a mount path leaving the sandbox",
      launch: launchOf({ containers: [{ ...web, volumeMounts: [{ name: "tmp", mountPath: "a/../../etc" }] }], volumes: [{ name: "tmp", kind: VolumeKind.EPHEMERAL }] }),
      message: 'volume mount "tmp": mount path "a/../../etc" must name a path inside the sandbox',
    },
    {
      name: "GPUs for a pod of several containers",
      launch: launchOf({ containers: [{ ...web, gpus: 1 }, { name: "b", shell: "x" }] }, { gpus: [0] }),
      message: "GPUs for a pod of several containers are not supported by this agent yet",
      taskIds: ["i1.web", "i1.b"],
    },
    {
      name: "a pod container without a command, named",
      launch: launchOf({ containers: [web, { name: "memcached" }] }),
      message: 'container "memcached": the container has no command (shell or argv); image entrypoints are not run by this agent',
      taskIds: ["i1.web", "i1.memcached"],
    },
    {
      name: "a secret in the env, named with its source",
      launch: launchOf({ containers: [{ ...web, env: { A: "1", DB_PASSWORD: { secret: "db" } } }], secrets: { db: "/prod/db/password" } }),
      message: 'env DB_PASSWORD: secret "db" (/prod/db/password) was not sealed into the run spec',
    },
    { name: "no command (an image entrypoint)", launch: launchOf({ containers: [{ name: "web" }] }), message: /no command \(shell or argv\)/ },
    { name: "an empty shell command", launch: launchOf({ containers: [{ name: "web", shell: "  " }] }), message: /no command/ },
    { name: "an empty argv", launch: launchOf({ containers: [{ name: "web", argv: [] }] }), message: /no command/ },
    { name: "negative resources", launch: launchOf({ containers: [{ ...web, mem: -1 }] }), message: /non-negative/ },
    { name: "no run spec", launch: create(agentV1.LaunchInstanceSchema, { instanceId: "i1", taskIds: ["i1.web"] }), message: "the launch carries no run spec" },
    { name: "no task ids (nothing to report)", launch: launchOf({ containers: [web] }, { taskIds: [] }), message: "the launch names 0 task ids for 1 containers", taskIds: [] },
    { name: "a task id per container, not more", launch: launchOf({ containers: [web] }, { taskIds: ["a.1", "a.2"] }), message: /2 task ids for 1 containers/ },
    { name: "an unusable task id", launch: launchOf({ containers: [web] }, { taskIds: ["../etc"] }), message: /not usable as a sandbox name/ },
    { name: "a task id twice", launch: launchOf({ containers: [web, { name: "b", shell: "x" }] }, { taskIds: ["a.1", "a.1"] }), message: /task id twice/ },
    { name: "an endpoint with a host port but no assignment", launch: launchOf({ containers: [{ ...web, endpoints: [{ name: "http", hostPort: 0 }] }] }), message: 'endpoint 0 ("http") of container "web" has no assigned host port' },
    {
      name: "requirePorts: an assigned port other than the fixed one",
      launch: launchOf({ containers: [{ ...web, endpoints: [{ hostPort: 8080 }] }] }, { ports: [{ endpointIndex: 0, hostPort: 31000 }] }),
      message: /host port 31000 assigned to endpoint 0 of container "web": the run spec asks for exactly 8080/,
    },
    { name: "a port for an endpoint that does not exist", launch: launchOf({ containers: [web] }, { ports: [{ endpointIndex: 0, hostPort: 31000 }] }), message: /no such endpoint with a host port/ },
    { name: "a port for another container", launch: launchOf({ containers: [{ ...web, endpoints: [{ hostPort: 0 }] }] }, { ports: [{ endpointIndex: 0, hostPort: 31000, container: "db" }] }), message: /the run spec has no such container/ },
    { name: "fewer GPUs than asked for", launch: launchOf({ containers: [{ ...web, gpus: 1 }] }), message: "the container asks for 1 GPUs; 0 were assigned" },
    { name: "GPUs it did not ask for", launch: launchOf({ containers: [web] }, { gpus: [0] }), message: "the container asks for 0 GPUs; 1 were assigned" },
    { name: "a GPU this agent does not have", launch: launchOf({ containers: [{ ...web, gpus: 1 }] }, { gpus: [5] }), message: "GPU 5 is not a GPU of this agent" },
    { name: "a GPU held by another task", launch: launchOf({ containers: [{ ...web, gpus: 2 }] }, { gpus: [0, 2] }), message: "GPU 2 is in use by task other.1" },
    { name: "a GPU assigned twice", launch: launchOf({ containers: [{ ...web, gpus: 2 }] }, { gpus: [1, 1] }), message: "GPU 1 is assigned twice" },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const decision = decideInstanceLaunch(row.launch, agent);
      assert.ok(!decision.ok, "refused");
      if (typeof row.message === "string") assert.equal(decision.message, row.message);
      else assert.match(decision.message, row.message);
      assert.deepEqual(decision.taskIds, row.taskIds ?? [...row.launch.taskIds], "every task of the instance is refused");
    });
  }

  it("a GPU whose uuid is not the agent's is refused", () => {
    const launch = launchOf({ containers: [{ ...web, gpus: 1 }] }, { gpus: [1] });
    launch.gpus[0]!.uuid = "GPU-other";
    assert.deepEqual(decideInstanceLaunch(launch, agent), { ok: false, taskIds: ["i1.web"], message: "GPU 1 (GPU-other) is not a GPU of this agent" });
  });

  it("never throws, whatever the run spec holds", () => {
    const odd = [
      create(agentV1.LaunchInstanceSchema, {}),
      create(agentV1.LaunchInstanceSchema, { taskIds: ["t.1"], runSpec: create(registryV1RunSpec.RunSpecSchema, {}) }),
      create(agentV1.LaunchInstanceSchema, { taskIds: ["t.1"], runSpec: create(registryV1RunSpec.RunSpecSchema, { containers: [{}] }) }),
      create(agentV1.LaunchInstanceSchema, { taskIds: ["t.1"], runSpec: create(registryV1RunSpec.RunSpecSchema, { containers: [{ command: { kind: { case: "argv", value: create(registryV1RunSpec.ArgvSpecSchema) } }, env: { X: create(registryV1RunSpec.EnvValueSchema) } }], volumes: [{ kind: 99 as registryV1RunSpec.VolumeKind }] }) }),
    ];
    for (const launch of odd) assert.equal(decideInstanceLaunch(launch, agent).ok, false);
  });
});

describe("LaunchInstance decisions: the task an app runs", () => {
  it("a shell command through /bin/sh -c, with the container's env, resources, kill grace, the run spec's ids and labels", () => {
    const launch = launchOf(
      { id: "/shop/web", labels: { tier: "front" }, containers: [{ ...web, shell: "serve --port $PORT0", env: { MODE: "prod" }, cpus: 0.25, mem: 32, grace: 5 }], volumes: [{ name: "logs", kind: VolumeKind.HOST, hostPath: "/var/log" }] },
      { host: "node-1.dc1" },
    );
    const decision = decideInstanceLaunch(launch, agent);
    assert.ok(decision.ok);
    assert.deepEqual(decision.tasks[0], {
      taskId: "i1.web",
      instanceId: "i1",
      appId: "/shop/web",
      appVersion: "2026-01-01T00:00:00.000Z",
      env: { MODE: "prod" },
      resources: { cpus: 0.25, mem: 32, disk: 0, gpus: 0 },
      labels: { tier: "front" },
      ports: [],
      image: "",
      host: "node-1.dc1",
      argv: ["/bin/sh", "-c", "serve --port $PORT0"],
      killGraceMs: 5000,
      assignedGpus: [],
      assignedPorts: [],
      healthChecks: [],
      readinessChecks: [],
      volumeMounts: [],
      user: "",
      artifacts: [],
    });
    assert.deepEqual(decision.instance, { instanceId: "i1", network: undefined, volumes: [{ name: "logs", hostPath: "/var/log" }] }, "an app on the agent's network");
  });

  it("an argv runs directly; kill grace 0 means the default 3 s", () => {
    const decision = decideInstanceLaunch(launchOf({ containers: [{ name: "web", argv: ["/bin/echo", "a b"], grace: 0 }] }), agent);
    assert.ok(decision.ok);
    assert.deepEqual(decision.tasks[0]!.argv, ["/bin/echo", "a b"]);
    assert.equal(decision.tasks[0]!.killGraceMs, 3000);
  });

  it("applies the assigned host ports: dynamic, fixed (requirePorts) and named, keyed by the requested port; an endpoint without a host port keeps none", () => {
    const launch = launchOf(
      { containers: [{ ...web, endpoints: [{ name: "http", hostPort: 0, servicePort: 10000 }, { hostPort: 8080, servicePort: 8080 }, { name: "peer" }] }] },
      { ports: [{ endpointIndex: 1, hostPort: 8080 }, { endpointIndex: 0, hostPort: 31005 }] },
    );
    const decision = decideInstanceLaunch(launch, agent);
    assert.ok(decision.ok);
    assert.deepEqual(decision.tasks[0]!.ports, [
      { name: "http", requested: 10000, hostPort: 31005 },
      { name: "", requested: 8080, hostPort: 8080 },
      { name: "peer", requested: 0, hostPort: undefined },
    ]);
    assert.deepEqual(decision.tasks[0]!.assignedPorts, [
      { container: "web", endpoint: "http", endpointIndex: 0, hostPort: 31005, containerPort: 0 },
      { container: "web", endpoint: "", endpointIndex: 1, hostPort: 8080, containerPort: 0 },
    ]);
  });

  it("takes exactly the assigned GPUs, whatever else is free", () => {
    const decision = decideInstanceLaunch(launchOf({ containers: [{ ...web, gpus: 2 }] }, { gpus: [1, 0] }), agent);
    assert.ok(decision.ok);
    assert.deepEqual(decision.tasks[0]!.assignedGpus, [0, 1]);
    const one = decideInstanceLaunch(launchOf({ containers: [{ ...web, gpus: 1 }] }, { gpus: [1] }), agent);
    assert.ok(one.ok);
    assert.deepEqual(one.tasks[0]!.assignedGpus, [1], "GPU 0 is free too, but not assigned");
  });

  it("the shape check simulated agents share accepts pods", () => {
    assert.equal(instanceShapeProblem(launchOf({ containers: [web, { name: "sidecar" }] })), undefined);
    assert.match(instanceShapeProblem(launchOf({ containers: [web] }, { taskIds: [] }))!, /0 task ids/);
  });
});

describe("LaunchInstance decisions: pods and container networks", () => {
  it("a pod runs one task per container, sharing its network: ports published into it, Marathon's pod endpoint variables for every container", () => {
    const launch = launchOf(
      {
        id: "/app",
        containers: [
          { name: "nginx", shell: "nginx", endpoints: [{ name: "web", hostPort: 0, containerPort: 8080 }] },
          { name: "memcached", argv: ["memcached", "-l", "127.0.0.1"], endpoints: [{ name: "cache", containerPort: 11211 }] },
        ],
        networks: [{ mode: NetworkMode.CONTAINER }],
      },
      { ports: [{ endpointIndex: 0, hostPort: 31010, container: "nginx" }] },
    );
    const decision = decideInstanceLaunch(launch, agent);
    assert.ok(decision.ok, decision.ok ? "" : decision.message);
    assert.deepEqual(decision.tasks.map((t) => [t.taskId, t.argv, t.container]), [
      ["i1.nginx", ["/bin/sh", "-c", "nginx"], "nginx"],
      ["i1.memcached", ["memcached", "-l", "127.0.0.1"], "memcached"],
    ]);
    assert.deepEqual(decision.instance.network, { name: "dcos", portMappings: [{ hostPort: 31010, containerPort: 8080, protocol: "tcp" }] }, "an unnamed container network is DC/OS's default");
    const endpoints = [
      { name: "web", containerPort: 8080, hostPort: 31010 },
      { name: "cache", containerPort: 11211, hostPort: undefined },
    ];
    for (const t of decision.tasks) assert.deepEqual(t.podEndpoints, endpoints);
    assert.deepEqual(decision.tasks[0]!.ports, [{ name: "web", requested: 8080, hostPort: 31010 }], "on a container network the requested port is the container port");
  });

  it("a pod's ephemeral volume is shared: each container mounts it at its own path", () => {
    const decision = decideInstanceLaunch(
      launchOf({
        containers: [
          { name: "a", shell: "x", volumeMounts: [{ name: "shared", mountPath: "out" }] },
          { name: "b", shell: "y", volumeMounts: [{ name: "shared", mountPath: "in/data", readOnly: true }, { name: "logs", mountPath: "/var/log" }] },
        ],
        volumes: [{ name: "shared", kind: VolumeKind.EPHEMERAL }, { name: "logs", kind: VolumeKind.HOST, hostPath: "/var/log" }],
      }),
      agent,
    );
    assert.ok(decision.ok, decision.ok ? "" : decision.message);
    assert.deepEqual(decision.instance.volumes, [{ name: "shared", hostPath: undefined }, { name: "logs", hostPath: "/var/log" }]);
    assert.deepEqual(decision.tasks.map((t) => t.volumeMounts), [
      [{ volume: "shared", mountPath: "out", readOnly: false }],
      [{ volume: "shared", mountPath: "in/data", readOnly: true }],
    ], "a HOST volume at an absolute path needs no link: the task sees the agent's file system");
    assert.equal(decision.instance.network, undefined, "no container network: the agent's own");
  });

  it("a container runs as its own user, else the run spec's", () => {
    const launch = launchOf({ containers: [{ name: "a", shell: "x" }, { name: "b", shell: "y" }] });
    launch.runSpec!.user = "app";
    launch.runSpec!.containers[1]!.user = "sidecar";
    const decision = decideInstanceLaunch(launch, agent);
    assert.ok(decision.ok);
    assert.deepEqual(decision.tasks.map((t) => t.user), ["app", "sidecar"]);
  });

  it("BRIDGE networking is Mesos' mesos-bridge CNI network", () => {
    const decision = decideInstanceLaunch(launchOf({ containers: [{ ...web, endpoints: [{ hostPort: 0, containerPort: 80 }] }], networks: [{ mode: NetworkMode.CONTAINER_BRIDGE }] }, { ports: [{ endpointIndex: 0, hostPort: 31020 }] }), agent);
    assert.ok(decision.ok);
    assert.deepEqual(decision.instance.network, { name: "mesos-bridge", portMappings: [{ hostPort: 31020, containerPort: 80, protocol: "tcp" }] });
  });
});

describe("LaunchInstance: secrets", () => {
  it("a secret sealed into the run spec is opened into the env with the agent's key; without one the launch is refused naming the key", async () => {
    const { generateSecretsKey, openSecret, sealSecret } = await import("@gantry/platform/secrets");
    const key = generateSecretsKey();
    const launch = launchOf({ containers: [{ ...web, env: { A: "1", DB_PASSWORD: { secret: "db" } } }], secrets: { db: "/prod/db/password" } });
    launch.runSpec!.sealedSecrets["/prod/db/password"] = sealSecret(key, "/prod/db/password", "hunter2-hunter2");
    const opened = decideInstanceLaunch(launch, { gpus: [], gpusInUse: new Map(), openSecret: (source, sealed) => openSecret(key, source, sealed) });
    assert.ok(opened.ok);
    assert.equal(opened.tasks[0]!.env.DB_PASSWORD, "hunter2-hunter2");
    assert.equal(opened.tasks[0]!.env.A, "1");
    const keyless = decideInstanceLaunch(launch, { gpus: [], gpusInUse: new Map() });
    assert.deepEqual(keyless.ok ? undefined : keyless.message, 'env DB_PASSWORD: secret "db" (/prod/db/password): this agent has no secrets key (GANTRY_SECRETS_KEY_FILE)');
    const wrongKey = decideInstanceLaunch(launch, { gpus: [], gpusInUse: new Map(), openSecret: (source, sealed) => openSecret(generateSecretsKey(), source, sealed) });
    assert.match(wrongKey.ok ? "" : wrongKey.message, /cannot be opened with this secrets key/);
  });
});
