import assert from "node:assert/strict";
import { test } from "node:test";
import type { DescService } from "@bufbuild/protobuf";
import { PROXIED_SERVICES } from "./backends.ts";
import { mayWrite } from "./forwarded-writes.ts";

// The forwarded methods that only read. A new method lands here only if it changes nothing: a
// write taken for a read would leave the HTTP reads' held lists trusted after it.
const READS = new Set([
  "AggregateApp", "ExplainPlacement", "FollowLogs", "GetApp", "GetAppVersion", "GetDeployment", "GetGroup", "GetGroupVersion", "GetPod", "GetPodVersion",
  "Latest", "ListAgents", "ListAppVersions", "ListApps", "ListContainers", "ListDeployments", "ListGroupVersions", "ListIamGroups", "ListParkedMessages",
  "ListPodVersions", "ListPods", "ListPrincipals", "ListQueue", "ListSecrets", "ListTaskCounts", "ListTaskFailures", "ListTasks", "QueryLogs", "Range",
  "WatchTasks", "WhoAmI",
]);

test("every forwarded method is a write unless it is one of the known reads", () => {
  const methods = PROXIED_SERVICES.flatMap((s) => (s as unknown as DescService).methods);
  assert.ok(methods.length > 40);
  for (const m of methods) assert.equal(mayWrite(m), !READS.has(m.name), m.name);
  for (const name of ["CreateApp", "KillTasks", "Login", "RevokeToken", "DrainAgent", "ResetLaunchDelay", "Listen", "Getaway"]) assert.equal(mayWrite({ name }), true, name);
});
