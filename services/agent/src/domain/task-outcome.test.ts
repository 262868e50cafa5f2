import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { schedulerV1Model } from "@gantry/proto";
import { classifyTaskEnd, type TaskEnd } from "./task-outcome.ts";

const { TaskState } = schedulerV1Model;
const end = (e: Partial<TaskEnd>): TaskEnd => ({ status: undefined, wrapperSignal: undefined, killRequested: false, oomKilled: false, goneWhileAgentDown: false, ...e });

describe("classifyTaskEnd", () => {
  it("exit 0 is FINISHED, any other exit FAILED with its code", () => {
    assert.deepEqual(classifyTaskEnd(end({ status: 0 })), { state: TaskState.FINISHED, message: "exited with code 0", exitCode: 0, signal: "", reason: "" });
    assert.deepEqual(classifyTaskEnd(end({ status: 3 })), { state: TaskState.FAILED, message: "exited with code 3", exitCode: 3, signal: "", reason: "REASON_COMMAND_EXECUTOR_FAILED" });
  });

  it("a shell status above 128 names the signal", () => {
    assert.deepEqual(classifyTaskEnd(end({ status: 139 })), { state: TaskState.FAILED, message: "terminated by SIGSEGV (exit code 139)", exitCode: 139, signal: "SIGSEGV", reason: "REASON_COMMAND_EXECUTOR_FAILED" });
  });

  it("an OOM kill is FAILED with 'Memory limit exceeded'", () => {
    const o = classifyTaskEnd(end({ status: 137, oomKilled: true }));
    assert.equal(o.state, TaskState.FAILED);
    assert.equal(o.message, "Memory limit exceeded");
    assert.equal(o.signal, "SIGKILL");
    assert.equal(o.reason, "REASON_CONTAINER_LIMITATION_MEMORY");
  });

  it("a requested kill is KILLED whatever the exit looked like", () => {
    assert.equal(classifyTaskEnd(end({ killRequested: true, wrapperSignal: "SIGTERM" })).state, TaskState.KILLED);
    assert.equal(classifyTaskEnd(end({ killRequested: true, status: 0 })).state, TaskState.KILLED);
    assert.equal(classifyTaskEnd(end({ killRequested: true })).reason, "", "a kill asked for needs no reason");
    const unhealthy = classifyTaskEnd(end({ killRequested: true, killReason: "unhealthy: TCP port 1 failed 3 times in a row (last: refused)" }));
    assert.deepEqual([unhealthy.message, unhealthy.reason], ["unhealthy: TCP port 1 failed 3 times in a row (last: refused)", "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"]);
  });

  it("a process gone while the agent was down, with no status on file, is FAILED saying so", () => {
    assert.deepEqual(classifyTaskEnd(end({ goneWhileAgentDown: true })), { state: TaskState.FAILED, message: "process gone while agent was down", exitCode: -1, signal: "", reason: "REASON_EXECUTOR_TERMINATED" });
    assert.equal(classifyTaskEnd(end({ goneWhileAgentDown: true, status: 0 })).state, TaskState.FINISHED);
  });
});
