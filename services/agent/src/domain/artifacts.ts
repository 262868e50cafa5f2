/**
 * The plan for a container's artifacts (Marathon's `fetch`, a pod container's `artifacts`; Mesos'
 * `CommandInfo.URI`): where each comes from, where it lands in the sandbox, and what is done to
 * it there. Pure: the fetcher adapter carries a plan out; a plan that cannot be made refuses the
 * launch, naming the artifact.
 */
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import type { registryV1RunSpec } from "@gantry/proto";
import type { Parsed } from "./option-parsers.ts";

/**
 * How an archive is unpacked: `tar` (plain, gzip, bzip2 or xz: `tar -xf` tells them apart),
 * `zip`, or `gzip` (one file, gunzipped beside the archive under its name less `.gz`).
 */
export type ArchiveFormat = "tar" | "zip" | "gzip";

/** One artifact, ready to fetch. Plain data: it can be logged and checkpointed as is. */
export interface ArtifactPlan {
  /** The URI as the run spec gave it; the fetch cache is keyed by it. */
  uri: string;
  /** The URI with any password in it replaced by `***`: what messages and logs show. */
  label: string;
  /** `http`/`https`: downloaded from `location`, a URL; `file`: copied from `location`, an absolute path on the agent. */
  kind: "http" | "https" | "file";
  location: string;
  /**
   * Where the fetched file lands, relative to the sandbox: `destPath` when given, else the URI's
   * last path segment. Normalised (no `.` segments, no doubled or trailing `/`); never absolute,
   * never with a `..` segment, never inside the agent's own `.gantry/` directory.
   */
  path: string;
  /** Unpacked into the directory holding `path` (the archive itself is kept); undefined: kept as fetched. */
  archive: ArchiveFormat | undefined;
  /** chmod 0755 after the fetch. */
  executable: boolean;
  /** Downloads are kept in the agent's fetch cache and reused by later fetches of the same URI. */
  cache: boolean;
}

export type PlannedArtifacts = { ok: true; artifacts: ArtifactPlan[] } | { ok: false; message: string };

/** The schemes the agent fetches, as the refusal of any other names them. */
export const SUPPORTED_ARTIFACT_SOURCES = "http://, https://, file:///<absolute path> or an absolute path";

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** The sandbox directory that holds the agent's own notes (checkpoint, pid, exit status); no artifact may land in it. */
const AGENT_NOTES_DIR = ".gantry";

/**
 * Mesos' archive suffixes, longest first so `.tar.gz` is a tarball and not a gzipped file.
 * Matched case-sensitively on the file's name, as Mesos does.
 */
const ARCHIVE_SUFFIXES: readonly (readonly [string, ArchiveFormat])[] = [
  [".tar.gz", "tar"],
  [".tar.bz2", "tar"],
  [".tar.xz", "tar"],
  [".tar", "tar"],
  [".tgz", "tar"],
  [".tbz2", "tar"],
  [".txz", "tar"],
  [".zip", "zip"],
  [".gz", "gzip"],
];

/**
 * The plans of a container's artifacts, in the run spec's order (the fetcher keeps it, so a later
 * artifact may overwrite an earlier one's files, as in Mesos), or the first artifact that cannot
 * be fetched and why: an unsupported scheme, a relative local path, a `destPath` that is absolute,
 * has a `..` segment or lands in `.gantry/`, or no usable file name.
 */
export function planArtifacts(specs: readonly registryV1RunSpec.ArtifactSpec[]): PlannedArtifacts {
  const artifacts: ArtifactPlan[] = [];
  for (const spec of specs) {
    const planned = planArtifact(spec);
    if (!planned.ok) return { ok: false, message: `artifact ${redactUri(spec.uri) || '""'}: ${planned.error}` };
    artifacts.push(planned.value);
  }
  return { ok: true, artifacts };
}

/** The plan of one artifact, or why there is none. */
function planArtifact(spec: registryV1RunSpec.ArtifactSpec): Parsed<ArtifactPlan> {
  const source = sourceOf(spec.uri.trim());
  if (!source.ok) return source;
  const { kind, location, name } = source.value;
  let path: string;
  if (spec.destPath !== "") {
    const dest = sandboxPath(spec.destPath);
    if (!dest.ok) return dest;
    path = dest.value;
  } else {
    if (name === "") return fail("the URI names no file; give the artifact a destPath");
    const problem = nameProblem(name);
    if (problem !== undefined) return fail(`the URI's file name ${JSON.stringify(name)} ${problem}; give the artifact a destPath`);
    path = name;
  }
  // As Mesos: an executable artifact is made executable and never unpacked.
  const archive = spec.extract && !spec.executable ? archiveFormat(posix.basename(path)) : undefined;
  if (archive === "gzip" && posix.basename(path) === ".gz") return fail(`${JSON.stringify(path)} leaves no name to gunzip into`);
  return ok({ uri: spec.uri, label: redactUri(spec.uri), kind, location, path, archive, executable: spec.executable, cache: spec.cache });
}

type Source = { kind: ArtifactPlan["kind"]; location: string; name: string };

/** Where an artifact comes from and the file name its URI gives (percent-decoded for URLs; a plain path is taken literally). */
function sourceOf(uri: string): Parsed<Source> {
  if (uri === "") return fail("the artifact has no URI");
  if (uri.startsWith("/")) return ok({ kind: "file", location: posix.normalize(uri), name: uri.endsWith("/") ? "" : posix.basename(uri) });
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return fail(`a local path must be absolute (supported: ${SUPPORTED_ARTIFACT_SOURCES})`);
  if (scheme === "http" || scheme === "https") {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return fail("is not a valid URL");
    }
    const segment = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
    try {
      return ok({ kind: scheme, location: url.href, name: decodeURIComponent(segment) });
    } catch {
      return fail(`the URI's file name ${JSON.stringify(segment)} is not valid percent-encoding`);
    }
  }
  if (scheme === "file") {
    // WHATWG URL parsing would read `file:app.tgz` as `/app.tgz`; only the `file://` forms name an absolute path.
    if (!uri.toLowerCase().startsWith("file://")) return fail(`a file URI must be file:///<absolute path> (supported: ${SUPPORTED_ARTIFACT_SOURCES})`);
    try {
      const path = fileURLToPath(uri);
      return ok({ kind: "file", location: path, name: path.endsWith("/") ? "" : posix.basename(path) });
    } catch (err) {
      return fail(`is not a local file URI: ${(err as Error).message} (supported: ${SUPPORTED_ARTIFACT_SOURCES})`);
    }
  }
  return fail(`scheme ${scheme}:// is not supported (supported: ${SUPPORTED_ARTIFACT_SOURCES})`);
}

/** `destPath` normalised, or why it cannot be used. */
function sandboxPath(destPath: string): Parsed<string> {
  const quoted = JSON.stringify(destPath);
  if (destPath.startsWith("/")) return fail(`destPath ${quoted} must be relative to the sandbox`);
  if (destPath.includes("\0")) return fail(`destPath ${quoted} contains a NUL byte`);
  const segments = destPath.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return fail(`destPath ${quoted} must stay inside the sandbox (no ".." segments)`);
  if (segments.length === 0 || destPath.endsWith("/")) return fail(`destPath ${quoted} must name a file in the sandbox`);
  if (segments[0] === AGENT_NOTES_DIR) return fail(`destPath ${quoted} is inside the agent's own ${AGENT_NOTES_DIR}/ directory`);
  return ok(segments.join("/"));
}

/** Why a file name taken from a URI cannot name a file at the sandbox's top, or undefined. */
function nameProblem(name: string): string | undefined {
  if (name === "." || name === "..") return "is not a file name";
  // A percent-encoded "/" would otherwise turn the name into a path, possibly out of the sandbox.
  if (name.includes("/") || name.includes("\0")) return "contains a / or a NUL byte";
  if (name === AGENT_NOTES_DIR) return `is the agent's own ${AGENT_NOTES_DIR} directory`;
  return undefined;
}

/** The archive format of a file name by Mesos' suffixes; undefined when it is no archive (it is then kept as fetched, as in Mesos). */
export function archiveFormat(name: string): ArchiveFormat | undefined {
  return ARCHIVE_SUFFIXES.find(([suffix]) => name.endsWith(suffix))?.[1];
}

/** `uri` with the password of any `user:password@` replaced by `***`, so messages and logs never show it. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/, "$1***@");
}
