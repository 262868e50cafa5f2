import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { GantryError } from "../errors/index.ts";
import type { AnyHandler, CallContext, ServiceBinding } from "./types.ts";

// The standard grpc/health/v1/health.proto, described in code: the contract folder holds only
// Gantry's own protos, and this file is fixed by the gRPC health-checking protocol.
const healthFile = create(FileDescriptorProtoSchema, {
  name: "grpc/health/v1/health.proto",
  package: "grpc.health.v1",
  syntax: "proto3",
  messageType: [
    {
      name: "HealthCheckRequest",
      field: [{ name: "service", jsonName: "service", number: 1, type: Type.STRING, label: Label.OPTIONAL }],
    },
    {
      name: "HealthCheckResponse",
      field: [
        {
          name: "status",
          jsonName: "status",
          number: 1,
          type: Type.ENUM,
          label: Label.OPTIONAL,
          typeName: ".grpc.health.v1.HealthCheckResponse.ServingStatus",
        },
      ],
      enumType: [
        {
          name: "ServingStatus",
          value: [
            { name: "UNKNOWN", number: 0 },
            { name: "SERVING", number: 1 },
            { name: "NOT_SERVING", number: 2 },
            { name: "SERVICE_UNKNOWN", number: 3 },
          ],
        },
      ],
    },
  ],
  service: [
    {
      name: "Health",
      method: [
        { name: "Check", inputType: ".grpc.health.v1.HealthCheckRequest", outputType: ".grpc.health.v1.HealthCheckResponse" },
        {
          name: "Watch",
          inputType: ".grpc.health.v1.HealthCheckRequest",
          outputType: ".grpc.health.v1.HealthCheckResponse",
          serverStreaming: true,
        },
      ],
    },
  ],
});

/** The `grpc.health.v1.Health` service descriptor. */
export const HealthService: DescService = createFileRegistry(healthFile, () => undefined).getService("grpc.health.v1.Health")!;

const SERVING = 1;
const NOT_SERVING = 2;

/** Health state of one server: every registered service is SERVING until `drain()` (called by shutdown). */
export interface HealthState {
  readonly binding: ServiceBinding;
  drain(): void;
}

/**
 * The health service of a server hosting `serviceNames`: Check answers SERVING (or NOT_SERVING once
 * draining) for "" and each name, NOT_FOUND for others; Watch sends the status and every change.
 */
export function createHealth(serviceNames: readonly string[]): HealthState {
  const known = new Set(["", ...serviceNames]);
  let status = SERVING;
  const watchers = new Set<() => void>();
  const statusOf = (service: string) => {
    if (!known.has(service)) throw new GantryError("NotFound", `unknown service "${service}"`);
    return { status };
  };
  const check = async (request: { service: string }) => statusOf(request.service);
  async function* watch(request: { service: string }, ctx: CallContext) {
    let sent = -1;
    while (!ctx.signal.aborted) {
      if (status !== sent) {
        sent = status;
        yield known.has(request.service) ? { status } : { status: 3 };
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          watchers.delete(wake);
          ctx.signal.removeEventListener("abort", wake);
          resolve();
        };
        watchers.add(wake);
        ctx.signal.addEventListener("abort", wake, { once: true });
      });
    }
  }
  const handlers: Record<string, AnyHandler> = { check: check as AnyHandler, watch: watch as AnyHandler };
  return {
    binding: { service: HealthService, handlers },
    drain() {
      status = NOT_SERVING;
      for (const wake of [...watchers]) wake();
    },
  };
}
