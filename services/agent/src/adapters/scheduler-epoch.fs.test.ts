import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fsSchedulerEpochFile } from "./scheduler-epoch.fs.ts";

const root = mkdtempSync(join(tmpdir(), "gantry-epoch-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("fsSchedulerEpochFile", () => {
  it("is 0 without a file, and keeps what was saved (creating the work dir, leaving no temp file)", () => {
    const dir = join(root, "a", "work");
    const file = fsSchedulerEpochFile(dir);
    assert.deepEqual(file.load(), { logId: "", epoch: 0n });
    file.save({ logId: "", epoch: 5n });
    file.save({ logId: "6f1c2a8e-0d3b-4e55-9a61-2b7c1d4e5f60", epoch: 2n ** 64n - 1n });
    assert.deepEqual(fsSchedulerEpochFile(dir).load(), { logId: "6f1c2a8e-0d3b-4e55-9a61-2b7c1d4e5f60", epoch: 2n ** 64n - 1n });
    assert.deepEqual(readdirSync(dir), ["scheduler-epoch"]);
  });

  it("refuses to guess when the file holds something else", () => {
    const dir = join(root, "b");
    const file = fsSchedulerEpochFile(dir);
    file.save({ logId: "", epoch: 1n });
    writeFileSync(file.path, "garbage");
    assert.throws(() => file.load(), (err: Error & { code?: string }) => err.code === "FailedPrecondition" && /remove the file/.test(err.message));
    assert.ok(existsSync(file.path));
  });
});
