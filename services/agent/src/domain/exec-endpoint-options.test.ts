import { test } from "node:test";
import assert from "node:assert/strict";
import { compileEndpointSettings } from "./exec-endpoint-options.ts";

test("--grpc-listen: default the hostname with an ephemeral port; HOST:PORT, [V6]:PORT, PORT, off", () => {
  assert.deepEqual(compileEndpointSettings({}, "node-1"), { settings: { host: "node-1", port: 0 }, violations: [] });
  assert.deepEqual(compileEndpointSettings({ grpcListen: "0.0.0.0:7070" }, "n").settings, { host: "0.0.0.0", port: 7070 });
  assert.deepEqual(compileEndpointSettings({ grpcListen: "[::1]:7070" }, "n").settings, { host: "::1", port: 7070 });
  assert.deepEqual(compileEndpointSettings({ grpcListen: "7071" }, "n").settings, { host: "n", port: 7071 });
  assert.deepEqual(compileEndpointSettings({ grpcListen: "off" }, "n"), { settings: undefined, violations: [] });
  assert.deepEqual(compileEndpointSettings({ execKeyFile: "/etc/gantry/exec.pub" }, "n").settings, { host: "n", port: 0, ticketKeyFile: "/etc/gantry/exec.pub" });
});

test("bad values name their option", () => {
  assert.deepEqual(compileEndpointSettings({ grpcListen: "a:b:c" }, "n").violations, [{ path: "/grpcListen", errors: ['"a:b:c" must be HOST:PORT, PORT or off'] }]);
  assert.deepEqual(compileEndpointSettings({ grpcListen: "h:70000" }, "n").violations, [{ path: "/grpcListen", errors: ["port 70000 is not 0-65535"] }]);
  assert.deepEqual(compileEndpointSettings({ execKeyFile: "exec.pub" }, "n").violations, [{ path: "/execKeyFile", errors: ['"exec.pub" must be an absolute path'] }]);
});
