/**
 * Test fixtures shared by the gRPC adapter's tests (not exported from the package): a signer and
 * tokens, a logger that records its lines, and derived variants of the real SchedulerService
 * WatchTasks method as client-streaming and bidi (the contract has no such RPC yet, and the tests
 * must use the real descriptors rather than a test-only proto).
 */
import { Writable } from "node:stream";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { schedulerV1 } from "@gantry/proto";
import { createAuthenticator, createTokenSigner, generateSigningKey } from "../auth/index.ts";
import { createLogger, type Logger } from "../logging/index.ts";
import type { Handlers, MethodKind } from "./types.ts";

export function authFixture() {
  const signer = createTokenSigner(generateSigningKey());
  const authenticator = createAuthenticator(signer);
  const admin = signer.issue({ name: "alice", roles: ["admin"] }).token;
  return { signer, authenticator, admin };
}

export interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

/** A logger whose lines (parsed) land in `lines`. */
export function recordingLogger(component = "test"): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString("utf8").split("\n")) if (text) lines.push(JSON.parse(text) as LogLine);
      callback();
    },
  });
  return { logger: createLogger(component, { level: "debug", destination }), lines };
}

type WatchShape<K extends MethodKind> = GenService<{
  watchTasks: {
    methodKind: K;
    input: typeof schedulerV1.WatchTasksRequestSchema;
    output: typeof schedulerV1.WatchTasksResponseSchema;
  };
}>;

function watchTasksAs<K extends MethodKind>(kind: K): WatchShape<K> {
  const original = schedulerV1.SchedulerService as unknown as DescService;
  const method: DescMethod = { ...original.method.watchTasks!, methodKind: kind };
  const service = { ...original, methods: [method], method: { watchTasks: method } };
  return service as unknown as WatchShape<K>;
}

/** SchedulerService with only WatchTasks, re-declared bidi-streaming. */
export const WatchTasksBidi = watchTasksAs("bidi_streaming");
/** SchedulerService with only WatchTasks, re-declared client-streaming. */
export const WatchTasksClientStream = watchTasksAs("client_streaming");

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The handlers of `service` that a test does not exercise, each failing loudly if called, merged
 * with the ones it does: the contract grows, the tests keep using the real descriptors.
 */
export function withUnusedMethods<S extends GenService<GenServiceMethods>>(service: S, used: Partial<Handlers<S>>): Handlers<S> {
  const all: Record<string, unknown> = {};
  for (const method of (service as unknown as DescService).methods) {
    all[method.localName] = async () => {
      throw new Error(`${method.name} is not used by this test`);
    };
  }
  return { ...all, ...used } as Handlers<S>;
}
