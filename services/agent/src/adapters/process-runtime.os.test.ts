import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shellQuote, wrapperScript } from "./process-runtime.os.ts";

describe("launch wrapper", () => {
  it("quotes for /bin/sh", () => {
    assert.equal(shellQuote("a b"), "'a b'");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  it("writes its pid first, runs the task as its child, records and returns the task's exit status; a failed cgroup join is exit 125 and runs nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "gantry-wrapper-"));
    try {
      const status = join(dir, "it's status");
      const pidFile = join(dir, "pid");
      const r = spawnSync("/bin/sh", ["-c", wrapperScript([], status, pidFile), "gantry-task", "/bin/sh", "-c", "echo \"$1\"; exit 7", "sh", "a b"], { encoding: "utf8" });
      assert.equal(r.status, 7);
      assert.equal(r.stdout, "a b\n");
      assert.equal(readFileSync(status, "utf8"), "7\n");
      assert.equal(readFileSync(pidFile, "utf8"), `${r.pid}\n`, "the wrapper's own pid");
      const marker = join(dir, "ran");
      const j = spawnSync("/bin/sh", ["-c", wrapperScript([join(dir, "no/such/cgroup.procs")], status, pidFile), "gantry-task", "/usr/bin/touch", marker], { encoding: "utf8" });
      assert.equal(j.status, 125);
      assert.equal(readFileSync(pidFile, "utf8"), `${j.pid}\n`, "written before the join was tried");
      assert.throws(() => readFileSync(marker));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
