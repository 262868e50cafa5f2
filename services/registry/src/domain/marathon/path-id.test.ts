import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalPath, invalidSegments, isChildOf, isUnder, parentOf, safePath, ID_PATH_SEGMENT_PATTERN } from "./path-id.ts";
import { buildDependencyGraph, detectDependencyCycles, longestPathLengths } from "./dependency-graph.ts";
import { formatNumber, renderPath } from "./field-validators.ts";
import { appJsonSchema } from "./app.schema.ts";
import { APP_DEFAULTS } from "./app.model.ts";

describe("path ids", () => {
  it("canonicalises against a base", () => {
    assert.equal(canonicalPath("a/b"), "/a/b");
    assert.equal(canonicalPath("b", "/a"), "/a/b");
    assert.equal(canonicalPath("../c", "/a/b"), "/a/c");
    assert.equal(canonicalPath("../../../x", "/a"), "/x");
    assert.equal(canonicalPath("/abs", "/a"), "/abs");
    assert.equal(canonicalPath("//a//b//"), "/a/b");
    assert.equal(canonicalPath(""), "/");
  });
  it("segment pattern is a full match, as Java's String.matches", () => {
    for (const ok of ["a", "a1", "a-b", "a.b", "a.b-c.d", ".", ".."]) assert.ok(ID_PATH_SEGMENT_PATTERN.test(ok), ok);
    for (const bad of ["A", "-a", "a-", "a..b", "a_b", "...", "a.", ".a"]) assert.ok(!ID_PATH_SEGMENT_PATTERN.test(bad), bad);
    assert.deepEqual(invalidSegments("/ok/Bad/../x_y"), ["Bad", "x_y"]);
  });
  it("parent, child, safePath", () => {
    assert.equal(parentOf("/a/b"), "/a");
    assert.equal(parentOf("/a"), "/");
    assert.equal(parentOf("/"), "/");
    assert.equal(parentOf("/a/b/"), "/a", "a trailing slash is no segment");
    assert.equal(parentOf("/a//b"), "/a");
    assert.ok(isUnder("/ab/c", "/ab") && isUnder("/ab", "/ab") && isUnder("/x", "/"));
    assert.ok(!isUnder("/abc", "/ab"), "a prefix of a segment is not an ancestor");
    assert.ok(isUnder("/a/b", "/a/"), "non-canonical ancestors compare by segments");
    assert.ok(isChildOf("/g/app", "/g"));
    assert.ok(!isChildOf("/g/x/app", "/g"));
    assert.ok(!isChildOf("/", "/"));
    assert.equal(safePath("/tools/docker/registry"), "tools_docker_registry");
  });
});

describe("dependency graph", () => {
  it("detects a cycle deterministically, and none in a DAG", () => {
    const g = buildDependencyGraph([{ id: "/b", dependencies: ["/a"] }, { id: "/a", dependencies: ["/b"] }, { id: "/c", dependencies: [] }]);
    assert.deepEqual(detectDependencyCycles(g), ["/a", "/b", "/a"]);
    assert.equal(detectDependencyCycles(buildDependencyGraph([{ id: "/b", dependencies: ["/a"] }, { id: "/a", dependencies: [] }])), undefined);
  });
  it("a dependency on a group means every run spec under it; unknown ids add no edge", () => {
    const g = buildDependencyGraph([{ id: "/web", dependencies: ["/db", "/nope"] }, { id: "/db/pg", dependencies: [] }, { id: "/db/redis", dependencies: [] }]);
    assert.deepEqual(g.get("/web"), ["/db/pg", "/db/redis"]);
  });
  it("longest path lengths", () => {
    const g = buildDependencyGraph([{ id: "/a", dependencies: ["/b", "/c"] }, { id: "/b", dependencies: ["/c"] }, { id: "/c", dependencies: [] }]);
    assert.deepEqual(Object.fromEntries(longestPathLengths(g)), { "/a": 2, "/b": 1, "/c": 0 });
  });
});

describe("field validator helpers", () => {
  it("prints numbers as Scala does", () => {
    assert.equal(formatNumber(-1, "double"), "-1.0");
    assert.equal(formatNumber(0.5, "double"), "0.5");
    assert.equal(formatNumber(1e7, "double"), "1.0E7");
    assert.equal(formatNumber(-1, "int"), "-1");
  });
  it("renders paths in both styles", () => {
    assert.equal(renderPath([]), "/");
    assert.equal(renderPath(["a", 0, "b"]), "/a/0/b");
    assert.equal(renderPath(["a", 0, "b"], "marathon"), "/a(0)/b");
  });
});

describe("app JSON schema", () => {
  it("requires id and carries the validator's defaults", () => {
    const props = appJsonSchema["properties"] as Record<string, { default?: unknown }>;
    assert.deepEqual(appJsonSchema["required"], ["id"]);
    assert.equal(props["instances"]?.default, APP_DEFAULTS.instances);
    assert.equal(props["mem"]?.default, APP_DEFAULTS.mem);
    assert.equal(props["backoffFactor"]?.default, APP_DEFAULTS.backoffFactor);
    assert.deepEqual(JSON.parse(JSON.stringify(appJsonSchema)), appJsonSchema);
  });
});
