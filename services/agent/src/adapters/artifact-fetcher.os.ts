import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { constants, createWriteStream } from "node:fs";
import { chmod, copyFile, lstat, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import type { Logger } from "@gantry/platform/logging";
import type { ArchiveFormat, ArtifactPlan } from "../domain/index.ts";
import type { ArtifactFetcher } from "../app/ports.ts";


/** How long one artifact may take (download, copy and unpacking together) unless the options say otherwise. */
export const DEFAULT_ARTIFACT_TIMEOUT_MS = 120_000;

/** How much of what `tar`, `unzip` or `gunzip` writes to stderr is kept for the message: enough to name the cause, bounded so a noisy tool cannot grow the agent. */
const STDERR_LIMIT = 2_000;

/**
 * The Mesos fetcher on this machine:
 *
 * - `http`/`https`: GET with Node's `fetch` (redirects followed); any status but 2xx fails, naming it.
 * - `file`: the local file is copied (never cached: it is already on the machine).
 * - `cache`: a download is kept in `cacheDir` under the SHA-256 of its URI and later fetches of the
 *   same URI copy it from there without a request. It is written to a temp file and renamed, so
 *   the cache never holds half a file, whatever happens to the agent; a crash can leave a
 *   `*.tmp` behind, never under a cache name. Entries are kept until removed by hand (no
 *   eviction yet), and are not revalidated: a URI whose content changes needs a new URI.
 * - archives: unpacked into the directory that holds the fetched file, which is kept, with the
 *   system's `tar -xf` (it recognises gzip, bzip2 and xz itself; owners and setuid bits are not
 *   restored), `unzip -o -q`, or `gunzip -c` for one gzipped file.
 * - no artifact (nor a gunzipped file) is written through a symbolic link an earlier archive left:
 *   one among the target's directories fails the fetch; one at the target is replaced.
 * - `executable`: chmod 0755.
 *
 * Each artifact has `timeoutMs` (default 120 s) for all of that; the fetch fails past it, and the
 * download or the unpacking tool is stopped. A failed download leaves nothing at its target.
 */
export function osArtifactFetcher(options: { cacheDir: string; logger: Logger; timeoutMs?: number }): ArtifactFetcher {
  const { cacheDir, logger } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_ARTIFACT_TIMEOUT_MS;
  return {
    async fetch(plan, sandbox, signal) {
      for (const artifact of plan) {
        const started = Date.now();
        const deadline = AbortSignal.timeout(timeoutMs);
        try {
          signal.throwIfAborted();
          const from = await fetchOne(artifact, sandbox, cacheDir, AbortSignal.any([signal, deadline]));
          logger.info({ uri: artifact.label, path: artifact.path, from, archive: artifact.archive, ms: Date.now() - started }, "fetched artifact");
        } catch (err) {
          // The caller's abort first: when both fired, the caller's reason is the one that matters.
          const why = signal.aborted ? "aborted" : deadline.aborted ? `timed out after ${timeoutMs / 1000} s` : describe(err);
          throw new Error(`fetching ${artifact.label} failed: ${why}`, { cause: err });
        }
      }
    },
  };
}

/** Fetches one artifact; says where its bytes came from (for the log). */
async function fetchOne(artifact: ArtifactPlan, sandbox: string, cacheDir: string, signal: AbortSignal): Promise<"file" | "download" | "cache"> {
  const target = await sandboxTarget(sandbox, artifact.path);
  let from: "file" | "download" | "cache";
  if (artifact.kind === "file") {
    await copyFile(artifact.location, target);
    from = "file";
  } else if (artifact.cache) {
    from = await fetchThroughCache(artifact, target, cacheDir, signal);
  } else {
    await download(artifact.location, target, signal);
    from = "download";
  }
  // As Mesos: executable wins over extract (the plan never asks for both).
  if (artifact.executable) await chmod(target, 0o755);
  if (artifact.archive !== undefined) await unpack(target, artifact.archive, signal);
  return from;
}

/**
 * `path` in the sandbox, its directories made. The agent writes as root and an earlier archive may
 * have put symbolic links in the sandbox, so no directory on the way may be one (the artifact is
 * refused), and one at the target itself is replaced by the artifact rather than written through.
 */
async function sandboxTarget(sandbox: string, path: string): Promise<string> {
  let dir = sandbox;
  for (const segment of dirname(path).split("/").filter((s) => s !== ".")) {
    dir = join(dir, segment);
    const found = await lstat(dir).catch(() => undefined);
    if (found?.isSymbolicLink()) throw new Error(`${relative(sandbox, dir)} in the sandbox is a symbolic link; an artifact is never written through one`);
    if (found === undefined) await mkdir(dir);
  }
  const target = join(sandbox, path);
  await removeSymlink(target);
  return target;
}

/** Removes a symbolic link at `path`, so what is written there next lands in the sandbox, not where the link points. */
async function removeSymlink(path: string): Promise<void> {
  if ((await lstat(path).catch(() => undefined))?.isSymbolicLink()) await rm(path);
}

/** Copies the cached download of the artifact's URI to `target`, downloading it into the cache first when it is not there. */
async function fetchThroughCache(artifact: ArtifactPlan, target: string, cacheDir: string, signal: AbortSignal): Promise<"download" | "cache"> {
  const cached = join(cacheDir, createHash("sha256").update(artifact.uri).digest("hex"));
  // A reflink where the file system has them, else a plain copy: the task may change its copy, never the cache.
  const copyOut = () => copyFile(cached, target, constants.COPYFILE_FICLONE);
  try {
    await copyOut();
    return "cache";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(cacheDir, { recursive: true });
  // Unique per fetch: two tasks fetching the same URI at once each download, and the last rename wins whole.
  const temp = `${cached}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await download(artifact.location, temp, signal);
    await rename(temp, cached);
  } finally {
    await rm(temp, { force: true });
  }
  await copyOut();
  return "download";
}

/** GETs `url` into `file`; a non-2xx answer or a broken transfer fails and leaves no `file`. */
async function download(url: string, file: string, signal: AbortSignal): Promise<void> {
  try {
    const response = await fetch(url, { signal, redirect: "follow" });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`);
    }
    const body = response.body === null ? Readable.from([]) : Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
    await pipeline(body, createWriteStream(file), { signal });
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
}

/** Unpacks `archive` into its own directory (Mesos' extraction, by the system's tools). */
async function unpack(archive: string, format: ArchiveFormat, signal: AbortSignal): Promise<void> {
  const dir = dirname(archive);
  switch (format) {
    case "tar":
      // The archive's owners and setuid/setgid bits are not restored, as when Mesos' fetcher (the
      // task's user) unpacks: root's tar would restore them, and a task could run a setuid binary.
      return run(["tar", "--no-same-owner", "--no-same-permissions", "-xf", archive, "-C", dir], signal);
    case "zip":
      return run(["unzip", "-o", "-q", archive, "-d", dir], signal);
    case "gzip": {
      const output = join(dir, basename(archive).slice(0, -".gz".length));
      await removeSymlink(output);
      const handle = await open(output, "w");
      try {
        await run(["gunzip", "-c", archive], signal, handle.fd);
      } catch (err) {
        await rm(output, { force: true });
        throw err;
      } finally {
        await handle.close();
      }
      return;
    }
  }
}

/** Runs a tool to its end; fails with its exit code and the start of what it wrote to stderr. `stdout`: a file descriptor to write to. */
function run(argv: string[], signal: AbortSignal, stdout?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { signal, stdio: ["ignore", stdout ?? "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.slice(0, STDERR_LIMIT - stderr.length);
    });
    child.once("error", (err) => reject(new Error(`cannot run ${argv[0]}: ${err.message}`, { cause: err })));
    child.once("close", (code, sig) => {
      if (code === 0) resolve();
      else reject(new Error(`${argv.join(" ")} ${code !== null ? `exited with code ${code}` : `was killed by ${sig}`}${stderr.trim() ? `: ${stderr.trim()}` : ""}`));
    });
  });
}

/** An error's message with the causes Node's `fetch` hides behind "fetch failed" (refused, reset, DNS). */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) {
    if (!parts.some((p) => p.includes(e.message))) parts.push(e.message);
  }
  return parts.length > 0 ? parts.join(": ") : String(err);
}
