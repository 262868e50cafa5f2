/**
 * The gRPC adapter: serves protobuf-es service descriptors with plain async handlers, calls them
 * with typed clients, and proxies them as raw bytes (the gateway). See README.md for the pipeline.
 */
export type { AccessAudit, CallContext, Denial, Handlers, MethodHandler, MethodKind, PermissionRule, Permissions, Requirement, ServiceBinding } from "./types.ts";
export { bindService } from "./types.ts";
export type { GrpcServer, GrpcServerOptions } from "./server.ts";
export { createGrpcServer } from "./server.ts";
export type { GrpcClient, GrpcClientOptions, GrpcCallOptions, ClientMethod } from "./client.ts";
export { createGrpcClient } from "./client.ts";
export type { GrpcProxyOptions } from "./proxy.ts";
export { createGrpcProxy } from "./proxy.ts";
export { EncodedMessage, encodeBytesField, encodeFields, lengthDelimitedSize, varintSize, writeLengthDelimitedHeader, writeVarint, type EncodedPart, type LengthDelimitedField } from "./encoded-message.ts";
export { GANTRY_ERROR_TRAILER, grpcStatusFor, errorCodeFor, toGrpcStatus, fromGrpcStatus } from "./status-mapping.ts";
export { CORRELATION_ID_KEY } from "./correlation.interceptor.ts";
export { currentCorrelationId } from "./pipeline.ts";
export { isPublicMethod } from "./authentication.interceptor.ts";
export { HealthService } from "./health.ts";
