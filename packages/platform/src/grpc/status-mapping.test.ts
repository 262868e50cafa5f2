import assert from "node:assert/strict";
import { test } from "node:test";
import { Metadata, status } from "@grpc/grpc-js";
import { GantryError, type ErrorCode } from "../errors/index.ts";
import { GANTRY_ERROR_TRAILER, errorCodeFor, fromGrpcStatus, grpcStatusFor, toGrpcStatus } from "./status-mapping.ts";

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

test("a huge error is trimmed to fit the trailer instead of breaking the call", () => {
  const violations = Array.from({ length: 2000 }, (_, i) => ({ path: `/env/VAR_${i}`, errors: ["must be a string"] }));
  const sent = toGrpcStatus(new GantryError("InvalidArgument", "Object is not valid", { violations, details: { blob: "x".repeat(10_000) } }));
  const trailer = sent.metadata.get(GANTRY_ERROR_TRAILER)[0] as string;
  assert.ok(trailer.length <= 6000);
  const back = fromGrpcStatus(sent);
  assert.equal(back.code, "InvalidArgument");
  assert.ok(back.violations.length > 0 && back.violations.length < 2000);
  assert.deepEqual(back.details, { truncated: true });
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
