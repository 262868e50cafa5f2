import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { registryV1, schedulerV1 } from "@gantry/proto";
import { GantryError } from "../errors/index.ts";
import { bindService, createGrpcServer, type GrpcServer } from "./index.ts";
import { openToAuthenticated } from "../testing/open-permissions.ts";
import { authFixture, recordingLogger, withUnusedMethods } from "./test-kit.ts";

// `buf curl` is the generic gRPC client of the project (grpcurl is not available on Debian 12).
const buf = resolve(import.meta.dirname, "../../../../node_modules/.bin/buf");
const run = promisify(execFile);
const auth = authFixture();
let server: GrpcServer;
let url: string;

before(async () => {
  const notImplemented = async (): Promise<never> => {
    throw new GantryError("FailedPrecondition", "not in this test");
  };
  server = createGrpcServer({
    logger: recordingLogger().logger,
    authenticator: auth.authenticator,
    reflection: true,
    services: [
      bindService(registryV1.RegistryService, withUnusedMethods(registryV1.RegistryService, {
        createApp: notImplemented,
        async getApp(request) {
          return { app: { id: request.id, version: "v1", definition: { id: request.id, instances: 2 } } };
        },
        listApps: notImplemented,
        deleteApp: notImplemented,
      }), openToAuthenticated(registryV1.RegistryService)),
      bindService(schedulerV1.SchedulerService, {
        listTasks: notImplemented,
        listAgents: notImplemented,
        listParkedMessages: notImplemented,
        explainPlacement: notImplemented,
        listQueue: notImplemented,
        resetLaunchDelay: notImplemented,
        drainAgent: notImplemented,
        undrainAgent: notImplemented,
        killTasks: notImplemented,
        listTaskFailures: notImplemented,
        listTaskCounts: notImplemented,
        async *watchTasks() {},
      }, openToAuthenticated(schedulerV1.SchedulerService)),
    ],
  });
  url = `http://127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
});

after(() => server.shutdown(100));

const curl = (...args: string[]) => run(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], { timeout: 20_000 });

test("reflection lists the services (buf curl --list-services)", { skip: !existsSync(buf) && "buf not installed" }, async () => {
  const { stdout } = await curl("--list-services", url);
  assert.deepEqual(stdout.trim().split("\n").sort(), [
    "gantry.registry.v1.RegistryService",
    "gantry.scheduler.v1.SchedulerService",
    "grpc.health.v1.Health",
  ]);
});

test("reflection serves the imports too: buf curl calls GetApp with JSON (Struct from google/protobuf/struct.proto)", { skip: !existsSync(buf) && "buf not installed" }, async () => {
  const { stdout } = await curl("-H", `authorization: Bearer ${auth.admin}`, "-d", '{"id":"/web"}', `${url}/gantry.registry.v1.RegistryService/GetApp`);
  assert.deepEqual(JSON.parse(stdout), { app: { id: "/web", version: "v1", definition: { id: "/web", instances: 2 } } });
});
