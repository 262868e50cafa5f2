import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAppsPath, parseGroupsPath, parsePodsPath, parseQueueDelayPath } from "./resource-paths.ts";

const ALL = ["group-apps", "version", "versions", "restart", "task", "tasks"] as const;

test("app paths: ids with slashes, suffixes only where the method has them", () => {
  assert.deepEqual(parseAppsPath("shop/web", ALL), { kind: "app", id: "/shop/web" });
  assert.deepEqual(parseAppsPath("/shop//web/", ALL), { kind: "app", id: "/shop/web" });
  assert.deepEqual(parseAppsPath("shop/web/versions", ALL), { kind: "versions", id: "/shop/web" });
  assert.deepEqual(parseAppsPath("shop/web/versions/2024-01-01T00:00:00.000Z", ALL), { kind: "version", id: "/shop/web", version: "2024-01-01T00:00:00.000Z" });
  assert.deepEqual(parseAppsPath("shop/web/restart", ALL), { kind: "restart", id: "/shop/web" });
  assert.deepEqual(parseAppsPath("shop/web/tasks", ALL), { kind: "tasks", id: "/shop/web" });
  assert.deepEqual(parseAppsPath("shop/web/tasks/shop_web.1", ALL), { kind: "task", id: "/shop/web", taskId: "shop_web.1" });
  assert.deepEqual(parseAppsPath("shop/*", ALL), { kind: "group-apps", id: "/shop" });
  assert.deepEqual(parseAppsPath("*", ALL), { kind: "group-apps", id: "/" });
  // A PUT has no suffixes: `/x/restart` is then the app of that id.
  assert.deepEqual(parseAppsPath("shop/restart", []), { kind: "app", id: "/shop/restart" });
  // A lone suffix is an app id, not a suffix of the empty id.
  assert.deepEqual(parseAppsPath("versions", ALL), { kind: "app", id: "/versions" });
});

test("pod paths: ::status, ::versions[/v], ::instances[/i]", () => {
  assert.deepEqual(parsePodsPath("::status"), { kind: "all-status" });
  assert.deepEqual(parsePodsPath("a/b"), { kind: "pod", id: "/a/b" });
  assert.deepEqual(parsePodsPath("a/b::status"), { kind: "status", id: "/a/b" });
  assert.deepEqual(parsePodsPath("a/b::versions"), { kind: "versions", id: "/a/b" });
  assert.deepEqual(parsePodsPath("a/b::versions/2024"), { kind: "version", id: "/a/b", version: "2024" });
  assert.deepEqual(parsePodsPath("a/b::instances"), { kind: "instances", id: "/a/b" });
  assert.deepEqual(parsePodsPath("a/b::instances/a_b.instance-1"), { kind: "instance", id: "/a/b", instanceId: "a_b.instance-1" });
});

test("group paths follow GroupsResource's matchers, root included", () => {
  assert.deepEqual(parseGroupsPath(""), { kind: "group", id: "/" });
  assert.deepEqual(parseGroupsPath("shop/"), { kind: "group", id: "/shop" });
  assert.deepEqual(parseGroupsPath("shop/apps"), { kind: "apps", id: "/shop" });
  assert.deepEqual(parseGroupsPath("apps"), { kind: "apps", id: "/" });
  assert.deepEqual(parseGroupsPath("shop/versions"), { kind: "versions", id: "/shop" });
  assert.deepEqual(parseGroupsPath("versions"), { kind: "versions", id: "/" });
  assert.deepEqual(parseGroupsPath("shop/versions/v1"), { kind: "version", id: "/shop", version: "v1" });
  assert.deepEqual(parseGroupsPath("versions/v1"), { kind: "version", id: "/", version: "v1" });
});

test("queue delay paths: {id}/delay with slashes in the id; anything else is no delay path", () => {
  assert.equal(parseQueueDelayPath("shop/web/delay"), "/shop/web");
  assert.equal(parseQueueDelayPath("/shop//web/delay/"), "/shop/web");
  assert.equal(parseQueueDelayPath("web/delay"), "/web");
  assert.equal(parseQueueDelayPath("delay"), undefined);
  assert.equal(parseQueueDelayPath("/delay"), undefined);
  assert.equal(parseQueueDelayPath("shop/web"), undefined);
});
