import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { Metadata, status, type StatusObject } from "@grpc/grpc-js";
import { googleRpc, googleRpcErrorDetails } from "@gantry/proto";
import { GantryError, invalidObject, type ErrorCode } from "../errors/index.ts";
import { MAX_PACKED_FIELD_VIOLATIONS, MAX_STATUS_DETAILS_BYTES, MAX_VIOLATION_TEXT_CHARS, STATUS_DETAILS_TRAILER } from "./status-details.ts";
import { GANTRY_ERROR_TRAILER, errorCodeFor, fromGrpcStatus, grpcStatusFor, toGrpcStatus } from "./status-mapping.ts";

const { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } = googleRpcErrorDetails;

/** The google.rpc.Status a sent status carries in grpc-status-details-bin. */
function standardOf(sent: StatusObject): googleRpc.Status {
  const [value] = sent.metadata.get(STATUS_DETAILS_TRAILER);
  assert.ok(Buffer.isBuffer(value), "grpc-status-details-bin is a Buffer");
  return fromBinary(googleRpc.StatusSchema, value);
}

/** Metadata with a google.rpc.Status built from `init` in grpc-status-details-bin. */
function withStandard(init: { code: number; message: string; violations?: [string, string][] }, metadata = new Metadata()): Metadata {
  const details = [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "X", domain: "elsewhere" }))];
  if (init.violations) {
    const fieldViolations = init.violations.map(([field, description]) => ({ field, description }));
    details.push(anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations })));
  }
  const bytes = toBinary(googleRpc.StatusSchema, create(googleRpc.StatusSchema, { code: init.code, message: init.message, details }));
  metadata.set(STATUS_DETAILS_TRAILER, Buffer.from(bytes));
  return metadata;
}

// What gRPC C-core (Python) and Java count against their default 8 KiB: name + value + 32 per entry.
function trailerBytes(sent: StatusObject): number {
  let total = "grpc-status".length + 2 + 32 + "grpc-message".length + encodeURIComponent(sent.details).length + 32;
  for (const [key, value] of Object.entries(sent.metadata.getMap())) {
    total += key.length + 32 + (Buffer.isBuffer(value) ? value.toString("base64").length : String(value).length);
  }
  return total;
}

const codes: ErrorCode[] = ["InvalidArgument", "NotFound", "AlreadyExists", "FailedPrecondition", "Aborted", "PermissionDenied", "Unauthenticated", "Unavailable", "Internal"];

test("every Gantry code maps to its gRPC namesake and back", () => {
  const expected = [status.INVALID_ARGUMENT, status.NOT_FOUND, status.ALREADY_EXISTS, status.FAILED_PRECONDITION, status.ABORTED, status.PERMISSION_DENIED, status.UNAUTHENTICATED, status.UNAVAILABLE, status.INTERNAL];
  assert.deepEqual(codes.map(grpcStatusFor), expected);
  assert.deepEqual(expected.map(errorCodeFor), codes);
});

test("a GantryError survives the trip through status and trailer, non-ASCII text and bigints included", () => {
  const error = new GantryError("AlreadyExists", "app /café exists — pick another", {
    violations: [{ path: "/id", errors: ["taken by ünïcode"] }],
    details: { version: 12n, nested: { ok: true } },
  });
  const sent = toGrpcStatus(error);
  assert.equal(sent.code, status.ALREADY_EXISTS);
  const trailer = sent.metadata.get(GANTRY_ERROR_TRAILER)[0];
  assert.equal(typeof trailer, "string");
  assert.match(trailer as string, /^[\x20-\x7e]+$/, "metadata values must be printable ASCII");
  const back = fromGrpcStatus(sent);
  assert.equal(back.code, "AlreadyExists");
  assert.equal(back.message, error.message);
  assert.deepEqual(back.violations, error.violations);
  assert.deepEqual(back.details, { version: "12", nested: { ok: true } });
});

test("anything that is not a GantryError is sent as INTERNAL with a generic message", () => {
  const sent = toGrpcStatus(new TypeError("cannot read properties of undefined (reading 'password')"));
  assert.equal(sent.code, status.INTERNAL);
  assert.equal(sent.details, "internal error");
});

test("a huge error is trimmed to fit the trailers (8 KiB in all) instead of breaking the call", () => {
  const violations = Array.from({ length: 2000 }, (_, i) => ({ path: `/env/VAR_${i}`, errors: ["must be a string"] }));
  const sent = toGrpcStatus(new GantryError("InvalidArgument", "Object is not valid", { violations, details: { blob: "x".repeat(10_000) } }));
  const trailer = sent.metadata.get(GANTRY_ERROR_TRAILER)[0] as string;
  assert.ok(trailer.length <= 3500);
  assert.ok((sent.metadata.get(STATUS_DETAILS_TRAILER)[0] as Buffer).length <= MAX_STATUS_DETAILS_BYTES);
  assert.ok(trailerBytes(sent) < 8192, `trailers take ${trailerBytes(sent)} bytes`);
  const standard = standardOf(sent);
  const badRequest = anyUnpack(standard.details[1]!, BadRequestSchema);
  const packed = badRequest?.fieldViolations ?? [];
  assert.ok(packed.length > 0 && packed.length < MAX_PACKED_FIELD_VIOLATIONS);
  assert.deepEqual(packed.map((v) => v.field), violations.slice(0, packed.length).map((v) => v.path), "a prefix, in order");
  const info = anyUnpack(standard.details[0]!, ErrorInfoSchema);
  assert.equal(info?.metadata.fieldViolationsOmitted, String(2000 - packed.length));
  assert.equal(info?.metadata.blob, undefined, "oversized detail values stay out of ErrorInfo");
  const back = fromGrpcStatus(sent);
  assert.equal(back.code, "InvalidArgument");
  assert.ok(back.violations.length > 0 && back.violations.length < 2000);
  assert.deepEqual(back.details, { truncated: true });
});

test("a violation quoting a huge value is cut, not dropped: both trailers still carry every violation", () => {
  // The fuzzer's case: a group id of 5,000 characters named in a child's "not a child of" error.
  const huge = "x".repeat(5000);
  const violations = [{ path: "/groups/0/id", errors: [`/a/b is not a child of /${huge}`] }, { path: `/${huge}`, errors: ["bad"] }];
  const sent = toGrpcStatus(invalidObject(violations));
  const packed = anyUnpack(standardOf(sent).details[1]!, BadRequestSchema)?.fieldViolations ?? [];
  assert.deepEqual(packed.map((v) => v.field), ["/groups/0/id", `/${huge.slice(0, MAX_VIOLATION_TEXT_CHARS - 33)}… (5001 characters)`]);
  assert.equal(packed[0]!.description, `/a/b is not a child of /${huge}`.slice(0, MAX_VIOLATION_TEXT_CHARS - 32) + "… (5024 characters)");
  const trailer = JSON.parse(sent.metadata.get(GANTRY_ERROR_TRAILER)[0] as string) as { violations: unknown[] };
  assert.equal(trailer.violations.length, 2);
  const back = fromGrpcStatus(sent);
  assert.deepEqual(back.violations.map((v) => v.errors.length), [1, 1]);
  assert.ok(back.violations.every((v) => v.path.length <= MAX_VIOLATION_TEXT_CHARS && v.errors.every((e) => e.length <= MAX_VIOLATION_TEXT_CHARS)));
});

test("at most MAX_PACKED_FIELD_VIOLATIONS field violations are packed, the rest counted in ErrorInfo", () => {
  const violations = Array.from({ length: 150 }, (_, i) => ({ path: `/p${i}`, errors: ["bad"] }));
  const standard = standardOf(toGrpcStatus(invalidObject(violations)));
  assert.equal(anyUnpack(standard.details[1]!, BadRequestSchema)?.fieldViolations.length, MAX_PACKED_FIELD_VIOLATIONS);
  assert.equal(anyUnpack(standard.details[0]!, ErrorInfoSchema)?.metadata.fieldViolationsOmitted, "50");
});

test("the standard Status: code, message, ErrorInfo reason/domain/scalar metadata, BadRequest per error string", () => {
  const error = new GantryError("FailedPrecondition", "app /web is locked by deployment d-1", {
    violations: [{ path: "/containers/0/name", errors: ["must be set", "must be a DNS label"] }, { path: "/cpus", errors: ["must be positive"] }],
    details: { deploymentId: "d-1", version: 7, locked: true, big: 12n, nested: { no: 1 }, list: [1], nothing: null },
  });
  const standard = standardOf(toGrpcStatus(error));
  assert.equal(standard.code, status.FAILED_PRECONDITION);
  assert.equal(standard.message, error.message);
  assert.deepEqual(standard.details.map((d) => d.typeUrl), ["type.googleapis.com/google.rpc.ErrorInfo", "type.googleapis.com/google.rpc.BadRequest"]);
  const info = anyUnpack(standard.details[0]!, ErrorInfoSchema);
  assert.equal(info?.reason, "FAILED_PRECONDITION");
  assert.equal(info?.domain, "gantry");
  assert.deepEqual({ ...info?.metadata }, { deploymentId: "d-1", version: "7", locked: "true", big: "12" });
  assert.deepEqual(
    anyUnpack(standard.details[1]!, BadRequestSchema)?.fieldViolations.map((v) => [v.field, v.description]),
    [["/containers/0/name", "must be set"], ["/containers/0/name", "must be a DNS label"], ["/cpus", "must be positive"]],
  );
});

test("RetryInfo is packed exactly for the codes the family declares retryable", () => {
  for (const code of codes) {
    const error = new GantryError(code, "x");
    const types = standardOf(toGrpcStatus(error)).details.map((d) => d.typeUrl);
    assert.equal(types.includes("type.googleapis.com/google.rpc.RetryInfo"), error.retryable, code);
    if (error.retryable) assert.ok(anyUnpack(standardOf(toGrpcStatus(error)).details.at(-1)!, RetryInfoSchema));
  }
  assert.deepEqual(codes.filter((code) => new GantryError(code, "x").retryable), ["Aborted", "Unavailable"]);
});

test("errors thrown as anything else carry only ErrorInfo INTERNAL in the standard Status", () => {
  const standard = standardOf(toGrpcStatus(new Error("secret")));
  assert.equal(standard.code, status.INTERNAL);
  assert.equal(standard.message, "internal error");
  assert.equal(standard.details.length, 1);
  assert.equal(anyUnpack(standard.details[0]!, ErrorInfoSchema)?.reason, "INTERNAL");
});

test("the client prefers the standard trailer for message and violations, gantry-error for details", () => {
  const metadata = withStandard({ code: status.INVALID_ARGUMENT, message: "standard says", violations: [["/a", "one"], ["/b", "two"], ["/a", "three"]] });
  metadata.set(GANTRY_ERROR_TRAILER, JSON.stringify({ code: "InvalidArgument", message: "json says", violations: [{ path: "/z", errors: ["z"] }], details: { deep: { ok: 1 } } }));
  const error = fromGrpcStatus({ code: status.INVALID_ARGUMENT, details: "wire says", metadata });
  assert.equal(error.message, "standard says");
  assert.deepEqual(error.violations, [{ path: "/a", errors: ["one", "three"] }, { path: "/b", errors: ["two"] }]);
  assert.deepEqual(error.details, { deep: { ok: 1 } });
});

test("a standard trailer alone (a non-Gantry server) is enough for message and violations", () => {
  const error = fromGrpcStatus({ code: status.INVALID_ARGUMENT, details: "wire", metadata: withStandard({ code: status.INVALID_ARGUMENT, message: "bad", violations: [["name", "required"]] }) });
  assert.equal(error.code, "InvalidArgument");
  assert.equal(error.message, "bad");
  assert.deepEqual(error.violations, [{ path: "name", errors: ["required"] }]);
});

test("a standard trailer that contradicts the status code, or does not decode, is not trusted", () => {
  const lying = withStandard({ code: status.INVALID_ARGUMENT, message: "lies", violations: [["/x", "y"]] });
  const error = fromGrpcStatus({ code: status.PERMISSION_DENIED, details: "denied", metadata: lying });
  assert.equal(error.code, "PermissionDenied");
  assert.equal(error.message, "denied");
  assert.deepEqual(error.violations, []);
  const garbage = new Metadata();
  garbage.set(STATUS_DETAILS_TRAILER, Buffer.from([0xff, 0xff, 0xff]));
  assert.equal(fromGrpcStatus({ code: status.NOT_FOUND, details: "gone", metadata: garbage }).message, "gone");
});

test("statuses outside the family read as their nearest code, naming the original", () => {
  const deadline = fromGrpcStatus({ code: status.DEADLINE_EXCEEDED, details: "Deadline exceeded", metadata: new Metadata() });
  assert.equal(deadline.code, "Unavailable");
  assert.equal(deadline.details.grpcStatus, "DEADLINE_EXCEEDED");
  assert.equal(fromGrpcStatus({ code: status.UNIMPLEMENTED, details: "" }).code, "Internal");
  assert.equal(fromGrpcStatus({ code: status.UNIMPLEMENTED, details: "" }).message, "UNIMPLEMENTED");
});

test("a trailer that contradicts the status code is not trusted for the code", () => {
  const metadata = new Metadata();
  metadata.set(GANTRY_ERROR_TRAILER, JSON.stringify({ code: "NotFound", message: "lies", violations: [], details: {} }));
  const error = fromGrpcStatus({ code: status.PERMISSION_DENIED, details: "denied", metadata });
  assert.equal(error.code, "PermissionDenied");
  assert.equal(error.message, "denied");
  metadata.set(GANTRY_ERROR_TRAILER, "{not json");
  assert.equal(fromGrpcStatus({ code: status.NOT_FOUND, details: "gone", metadata }).code, "NotFound");
});
