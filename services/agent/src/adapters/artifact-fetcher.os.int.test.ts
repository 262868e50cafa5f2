/**
 * The OS artifact fetcher against a real HTTP server on 127.0.0.1 and the system's tar, unzip
 * and gunzip: downloads, unpacking, modes, destPath, local copies, the cache (proved by counting
 * requests), and the failures (HTTP status, timeout, abort). Everything lives in one temp dir.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { registryV1RunSpec } from "@gantry/proto";
import { createLogger } from "@gantry/platform/logging";
import { eventually, within } from "@gantry/platform/testing";
import { planArtifacts, type ArtifactPlan } from "../domain/artifacts.ts";
import { osArtifactFetcher } from "./artifact-fetcher.os.ts";

const logger = createLogger("artifact-fetcher-test", { level: process.env.GANTRY_LOG_LEVEL ?? "warn" });
const root = mkdtempSync(join(tmpdir(), "gantry-artifacts-"));
const fixtures = join(root, "fixtures");
/** Outside every sandbox: what symbolic links in an archive point at. */
const outside = join(root, "outside");
const RUN_SH = "#!/bin/sh\necho running\n";
const NOTES = "notes, gzipped on their own\n";

/** Requests the server received, by path: the cache test proves "no request" with it. */
const requests = new Map<string, number>();
const served = (path: string) => requests.get(path) ?? 0;
let server: Server | undefined;
let base = "";

function makeFixtures(): void {
  const content = join(fixtures, "content");
  mkdirSync(join(content, "app", "conf"), { recursive: true });
  writeFileSync(join(content, "app", "run.sh"), RUN_SH, { mode: 0o755 });
  writeFileSync(join(content, "app", "conf", "app.conf"), "port=8080\n");
  writeFileSync(join(fixtures, "hello.txt"), "hello\n");
  writeFileSync(join(fixtures, "notes.txt"), NOTES);
  execFileSync("tar", ["-czf", join(fixtures, "bundle.tar.gz"), "-C", content, "app"]);
  execFileSync("tar", ["-cjf", join(fixtures, "bundle.tbz2"), "-C", content, "app"]);
  execFileSync("tar", ["-cJf", join(fixtures, "bundle.tar.xz"), "-C", content, "app"]);
  // `zip` is not on every machine; Python's zipfile makes the same archive.
  const zip = spawnable("zip") ? ["zip", "-q", "-r", join(fixtures, "bundle.zip"), "app"] : ["python3", "-m", "zipfile", "-c", join(fixtures, "bundle.zip"), "app"];
  execFileSync(zip[0]!, zip.slice(1), { cwd: content });
  writeFileSync(join(fixtures, "notes.txt.gz"), execFileSync("gzip", ["-c", join(fixtures, "notes.txt")]));
  // An archive of symbolic links out of the sandbox, a directory's and a file's.
  mkdirSync(outside);
  writeFileSync(join(outside, "victim.txt"), "untouched\n");
  const links = join(fixtures, "links");
  mkdirSync(links);
  symlinkSync(outside, join(links, "lib"));
  symlinkSync(join(outside, "victim.txt"), join(links, "conf.txt"));
  symlinkSync(join(outside, "victim.txt"), join(links, "notes.txt"));
  execFileSync("tar", ["-czf", join(fixtures, "links.tar.gz"), "-C", links, "lib", "conf.txt", "notes.txt"]);
  // A setuid program owned by someone else, as root's tar would restore it.
  const suid = join(fixtures, "suid");
  mkdirSync(suid);
  writeFileSync(join(suid, "tool"), RUN_SH);
  chmodSync(join(suid, "tool"), 0o4755);
  execFileSync("tar", ["-cf", join(fixtures, "suid.tar"), "--owner=1234", "--group=1234", "-C", suid, "tool"]);
}

function spawnable(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

let sandboxes = 0;
/** A fresh, empty sandbox for one fetch. */
function sandbox(): string {
  const dir = join(root, "sandboxes", String(++sandboxes));
  mkdirSync(dir, { recursive: true });
  return dir;
}

function plan(...init: MessageInitShape<typeof registryV1RunSpec.ArtifactSpecSchema>[]): ArtifactPlan[] {
  const planned = planArtifacts(init.map((i) => create(registryV1RunSpec.ArtifactSpecSchema, i)));
  assert.ok(planned.ok, planned.ok ? "" : planned.message);
  return planned.artifacts;
}

const mode = (file: string) => statSync(file).mode & 0o777;
const never = () => new AbortController().signal;

before(async () => {
  makeFixtures();
  const http = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    requests.set(path, served(path) + 1);
    // Never answered: held open until the server closes its connections.
    if (path === "/hang") return;
    if (path === "/half") {
      // Half the promised bytes, then nothing: a download caught in the middle.
      res.writeHead(200, { "content-length": "2048" }).write(Buffer.alloc(1024, 1));
      return;
    }
    const file = join(fixtures, path.slice(1));
    if (path.includes("..") || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end("no such artifact");
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(file));
  });
  server = http;
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  // Removed even when the set-up failed half way (no server then).
  try {
    const http = server;
    http?.closeAllConnections();
    if (http?.listening) await new Promise((resolve) => http.close(resolve));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

describe("osArtifactFetcher", { timeout: 30_000 }, () => {
  const cacheDir = join(root, "cache");
  const fetcher = osArtifactFetcher({ cacheDir, logger });

  it("downloads files under the URI's name, in order, and makes an executable one 0755", async () => {
    const box = sandbox();
    await fetcher.fetch(plan({ uri: `${base}/hello.txt` }, { uri: `${base}/content/app/run.sh`, destPath: "bin/run", executable: true }), box, never());
    assert.equal(readFileSync(join(box, "hello.txt"), "utf8"), "hello\n");
    assert.equal(mode(join(box, "hello.txt")) & 0o111, 0, "a plain artifact is not made executable");
    assert.equal(readFileSync(join(box, "bin", "run"), "utf8"), RUN_SH);
    assert.equal(mode(join(box, "bin", "run")), 0o755);
  });

  it("unpacks a .tar.gz into the sandbox and keeps the archive", async () => {
    const box = sandbox();
    await fetcher.fetch(plan({ uri: `${base}/bundle.tar.gz`, extract: true }), box, never());
    assert.equal(readFileSync(join(box, "app", "conf", "app.conf"), "utf8"), "port=8080\n");
    assert.equal(readFileSync(join(box, "app", "run.sh"), "utf8"), RUN_SH);
    assert.equal(mode(join(box, "app", "run.sh")) & 0o111, 0o111, "tar keeps the archive's modes");
    assert.deepEqual(readFileSync(join(box, "bundle.tar.gz")), readFileSync(join(fixtures, "bundle.tar.gz")));
  });

  it("unpacks into destPath's directory, and leaves an archive packed when extract is off", async () => {
    const box = sandbox();
    await fetcher.fetch(plan({ uri: `${base}/bundle.tar.gz`, destPath: "lib/bundle.tgz", extract: true }, { uri: `${base}/bundle.zip` }), box, never());
    assert.equal(readFileSync(join(box, "lib", "app", "conf", "app.conf"), "utf8"), "port=8080\n");
    assert.ok(existsSync(join(box, "lib", "bundle.tgz")));
    assert.ok(existsSync(join(box, "bundle.zip")));
    assert.ok(!existsSync(join(box, "app")), "extract: false unpacks nothing");
  });

  it("unpacks a .zip with unzip and gunzips a single .gz file beside it", async () => {
    const box = sandbox();
    await fetcher.fetch(plan({ uri: `${base}/bundle.zip`, extract: true }, { uri: `${base}/notes.txt.gz`, extract: true }), box, never());
    assert.equal(readFileSync(join(box, "app", "run.sh"), "utf8"), RUN_SH);
    assert.equal(readFileSync(join(box, "app", "conf", "app.conf"), "utf8"), "port=8080\n");
    assert.equal(readFileSync(join(box, "notes.txt"), "utf8"), NOTES);
    assert.ok(existsSync(join(box, "bundle.zip")) && existsSync(join(box, "notes.txt.gz")), "the archives are kept");
  });

  it("unpacks bzip2 and xz tarballs with the same tar -xf", async () => {
    const box = sandbox();
    await fetcher.fetch(plan({ uri: `${base}/bundle.tbz2`, destPath: "b/bundle.tbz2", extract: true }, { uri: `${base}/bundle.tar.xz`, destPath: "x/bundle.tar.xz", extract: true }), box, never());
    assert.equal(readFileSync(join(box, "b", "app", "conf", "app.conf"), "utf8"), "port=8080\n");
    assert.equal(readFileSync(join(box, "x", "app", "conf", "app.conf"), "utf8"), "port=8080\n");
  });

  it("copies local files given as file:/// URIs or absolute paths", async () => {
    const box = sandbox();
    await fetcher.fetch(plan({ uri: `file://${join(fixtures, "hello.txt")}` }, { uri: join(fixtures, "bundle.tar.gz"), destPath: "x/b.tar.gz", extract: true }), box, never());
    assert.equal(readFileSync(join(box, "hello.txt"), "utf8"), "hello\n");
    assert.equal(readFileSync(join(box, "x", "app", "conf", "app.conf"), "utf8"), "port=8080\n");
    await assert.rejects(fetcher.fetch(plan({ uri: join(fixtures, "absent.bin") }), box, never()), new RegExp(`^Error: fetching ${join(fixtures, "absent.bin")} failed: ENOENT`));
  });

  it("keeps a cached download and serves later fetches of the same URI from it, without a request", async () => {
    const uri = `${base}/bundle.tar.gz?cached`;
    const first = sandbox();
    const second = sandbox();
    const before = served("/bundle.tar.gz");
    await fetcher.fetch(plan({ uri, extract: true, cache: true }), first, never());
    await fetcher.fetch(plan({ uri, destPath: "again.tgz", extract: true, cache: true }), second, never());
    assert.equal(served("/bundle.tar.gz") - before, 1, "the second fetch came from the cache");
    assert.equal(readFileSync(join(second, "app", "conf", "app.conf"), "utf8"), "port=8080\n");
    assert.deepEqual(readFileSync(join(second, "again.tgz")), readFileSync(join(fixtures, "bundle.tar.gz")));
    assert.deepEqual(readdirSync(cacheDir), [createHash("sha256").update(uri).digest("hex")], "one whole entry, no temp file left");
    // Without cache the same URI is downloaded again.
    await fetcher.fetch(plan({ uri }), sandbox(), never());
    assert.equal(served("/bundle.tar.gz") - before, 2);
  });

  it("fails on a 404 naming the URI and the status, leaves nothing behind, and fetches nothing after it", async () => {
    const box = sandbox();
    const cache = join(root, "cache-404");
    const before = served("/hello.txt");
    await assert.rejects(
      osArtifactFetcher({ cacheDir: cache, logger }).fetch(plan({ uri: `${base}/missing.tgz`, cache: true }, { uri: `${base}/hello.txt` }), box, never()),
      { message: `fetching ${base}/missing.tgz failed: HTTP 404 Not Found` },
    );
    assert.equal(served("/hello.txt"), before, "the artifact after the failed one was not fetched");
    assert.deepEqual(readdirSync(box), []);
    assert.deepEqual(readdirSync(cache), [], "no cache entry, not even a temp file");
  });

  it("fails an artifact that takes longer than timeoutMs", async () => {
    const box = sandbox();
    const started = Date.now();
    const fetch = osArtifactFetcher({ cacheDir, logger, timeoutMs: 300 }).fetch(plan({ uri: `${base}/hang?t`, destPath: "slow.bin" }), box, never());
    await assert.rejects(within("the timed-out fetch to fail", fetch, 10_000), { message: `fetching ${base}/hang?t failed: timed out after 0.3 s` });
    const took = Date.now() - started;
    assert.ok(took >= 290 && took < 5_000, `failed after ${took} ms`);
    assert.ok(!existsSync(join(box, "slow.bin")));
  });

  it("stops a fetch in progress when its signal is aborted", async () => {
    const box = sandbox();
    const controller = new AbortController();
    const before = served("/hang");
    const fetch = fetcher.fetch(plan({ uri: `${base}/hang?abort`, cache: true }), box, controller.signal);
    await eventually("the download to reach the server", () => served("/hang") > before, 10_000, 20);
    controller.abort();
    await assert.rejects(within("the aborted fetch to fail", fetch, 5_000), { message: `fetching ${base}/hang?abort failed: aborted` });
    assert.deepEqual(readdirSync(box), []);
    assert.ok(!readdirSync(cacheDir).some((f) => f.endsWith(".tmp")), "the cache keeps no temp file of the aborted download");
    // A signal aborted before the fetch starts fetches nothing.
    const count = served("/hello.txt");
    await assert.rejects(fetcher.fetch(plan({ uri: `${base}/hello.txt` }), box, AbortSignal.abort()), /failed: aborted$/);
    assert.equal(served("/hello.txt"), count);
  });

  it("never leaves half a file under a cache name when the agent is killed mid-download", async () => {
    const cache = join(root, "cache-crash");
    const uri = `${base}/half`;
    // The fetcher in a process of its own, SIGKILLed while the body is still arriving.
    const script = `
      const { osArtifactFetcher } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, "artifact-fetcher.os.ts")).href)});
      const plan = [{ uri: ${JSON.stringify(uri)}, label: "", kind: "http", location: ${JSON.stringify(uri)}, path: "half.bin", archive: undefined, executable: false, cache: true }];
      await osArtifactFetcher({ cacheDir: ${JSON.stringify(cache)}, logger: { info() {} } }).fetch(plan, ${JSON.stringify(sandbox())}, new AbortController().signal);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      const temp = await eventually("the download to be written to the cache", () => (existsSync(cache) ? readdirSync(cache).find((f) => statSync(join(cache, f)).size > 0) : undefined), 10_000, 20);
      assert.match(temp, /\.tmp$/, "a download in progress is written under a temp name");
    } finally {
      child.kill("SIGKILL");
      await within("the fetcher process to die", exited, 5_000);
    }
    assert.ok(!existsSync(join(cache, createHash("sha256").update(uri).digest("hex"))), "no cache entry for the broken download");
  });

  it("never writes an artifact through a symbolic link an earlier archive left", async () => {
    const box = sandbox();
    await fetcher.fetch(plan({ uri: `${base}/links.tar.gz`, extract: true }, { uri: `${base}/hello.txt`, destPath: "conf.txt" }, { uri: `${base}/notes.txt.gz`, extract: true }), box, never());
    assert.ok(!lstatSync(join(box, "conf.txt")).isSymbolicLink(), "the link at the target was replaced");
    assert.equal(readFileSync(join(box, "conf.txt"), "utf8"), "hello\n");
    assert.ok(!lstatSync(join(box, "notes.txt")).isSymbolicLink(), "the link at gunzip's output was replaced");
    assert.equal(readFileSync(join(box, "notes.txt"), "utf8"), NOTES);
    await assert.rejects(fetcher.fetch(plan({ uri: `${base}/hello.txt`, destPath: "lib/sub/hello.txt" }), box, never()), {
      message: `fetching ${base}/hello.txt failed: lib in the sandbox is a symbolic link; an artifact is never written through one`,
    });
    assert.deepEqual(readdirSync(outside), ["victim.txt"]);
    assert.equal(readFileSync(join(outside, "victim.txt"), "utf8"), "untouched\n");
  });

  it("does not restore an archive's owners or setuid bits", { skip: process.getuid?.() === 0 ? false : "only root's tar restores them" }, async () => {
    const box = sandbox();
    await fetcher.fetch(plan({ uri: `${base}/suid.tar`, extract: true }), box, never());
    const tool = statSync(join(box, "tool"));
    assert.deepEqual({ uid: tool.uid, mode: tool.mode & 0o7777 }, { uid: 0, mode: 0o755 });
  });

  it("fails an archive the tools cannot unpack, naming the tool's complaint", async () => {
    const box = sandbox();
    await assert.rejects(fetcher.fetch(plan({ uri: `${base}/hello.txt`, destPath: "broken.tgz", extract: true }), box, never()), /^Error: fetching .*\/hello\.txt failed: tar .* -xf .* exited with code 2: /);
  });
});
