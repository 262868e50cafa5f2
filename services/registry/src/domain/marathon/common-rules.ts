/**
 * Readers and rules shared by apps and pods: validation options (feature flags as DC/OS 1.9
 * launches Marathon), env values and secrets, resource roles, unreachable strategy, URIs.
 */
import type { EnvValue, FetchUri, UnreachableStrategy } from "./app.model.ts";
import {
  atLeast,
  atMost,
  bool,
  check,
  featureNotEnabled,
  int,
  isObject,
  mapOf,
  objectReader,
  notEmpty,
  opt,
  req,
  str,
  ShapeError,
  type Issues,
  type Path,
  type PathStyle,
  type Reader,
} from "./field-validators.ts";
import { canonicalPath, ROOT_ID } from "./path-id.ts";

/** Features DC/OS 1.9 enables (`--enable_features vips,task_killing,external_volumes,gpu_resources`). */
export const DCOS_1_9_FEATURES: readonly string[] = ["vips", "task_killing", "external_volumes", "gpu_resources"];

/** DC/OS 1.9's overlay network (`MARATHON_CMD_DEFAULT_NETWORK_NAME`): where unnamed container networks go. */
export const DCOS_DEFAULT_NETWORK_NAME = "dcos";

/** Options of the Marathon validators. Every field has the DC/OS 1.9 default. */
export interface MarathonValidationOptions {
  /** Base for relative app and group ids (default `/`, as for `POST /v2/apps`); pod ids must be absolute. */
  parentGroup?: string;
  /** Enabled Marathon features (default `DCOS_1_9_FEATURES`; note `secrets` is off). */
  features?: readonly string[];
  /** Name given to unnamed pod container networks (default `dcos`); `null` = no default. */
  defaultNetworkName?: string | null;
  /** Mesos master version quoted when pods ask for command health checks (default `1.2.0`). */
  mesosMasterVersion?: string;
  /** How array indexes appear in violation paths (default `pointer`: `/healthChecks/0`). */
  pathStyle?: PathStyle;
}

/** Options with defaults applied, compiled once per call. */
export interface CompiledOptions {
  parentGroup: string;
  features: ReadonlySet<string>;
  defaultNetworkName: string | undefined;
  mesosMasterVersion: string;
  pathStyle: PathStyle;
}

/** Applies the DC/OS 1.9 defaults to `options`. */
export function compileOptions(options: MarathonValidationOptions = {}): CompiledOptions {
  return {
    parentGroup: canonicalPath(options.parentGroup ?? ROOT_ID),
    features: new Set(options.features ?? DCOS_1_9_FEATURES),
    defaultNetworkName: options.defaultNetworkName === null ? undefined : (options.defaultNetworkName ?? DCOS_DEFAULT_NETWORK_NAME),
    mesosMasterVersion: options.mesosMasterVersion ?? "1.2.0",
    pathStyle: options.pathStyle ?? "pointer",
  };
}

/** Reads an env value: a string or `{"secret": "<name>"}`. */
export const envValue: Reader<EnvValue> = (v, path, is) => {
  if (typeof v === "string") return v;
  if (isObject(v)) {
    const secret = req(v, "secret", str, path, is);
    return secret === undefined ? undefined : { secret };
  }
  is.typeError(path, ShapeError.string);
  return undefined;
};

/** Reads an env map. */
export const envMap: Reader<Record<string, EnvValue>> = mapOf(envValue);

/** Reads `secrets`: name → `{source}`. */
export const secretsMap: Reader<Record<string, { source: string }>> = mapOf((v, path, is) => {
  if (!isObject(v)) {
    is.typeError(path, ShapeError.object);
    return undefined;
  }
  const source = req(v, "source", str, path, is);
  return source === undefined ? undefined : { source };
});

/** `references an undefined secret named '<x>'` for every env secret ref not in `secrets`. */
export function checkSecretRefs(
  is: Issues,
  path: Path,
  env: Record<string, EnvValue>,
  secrets: Record<string, { source: string }>,
): void {
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "object" && !Object.hasOwn(secrets, value.secret)) {
      is.violation([...path, name], `references an undefined secret named '${value.secret}'`);
    }
  }
}

/** Secrets need the `secrets` feature; keys and sources must not be empty. */
export function checkSecrets(is: Issues, secrets: Record<string, { source: string }>, features: ReadonlySet<string>): void {
  if (Object.keys(secrets).length === 0) return;
  check(is, ["secrets"], features.has("secrets"), featureNotEnabled("secrets"));
  for (const [name, def] of Object.entries(secrets)) {
    if (name.length === 0) is.violation(["secrets", name], "must not be empty");
    notEmpty(is, ["secrets", name, "source"], def.source);
  }
}

// Mesos role names (`M/state/ResourceRole.scala`): not "", ".", "..", no leading "-", and none of
// tab, LF, VT, FF, CR, space, "/" or DEL.
// eslint-disable-next-line no-control-regex
const ROLE_FORBIDDEN = /[\t\n\v\f\r /\x7f]/;

/** The role-name rule's message (Gantry's wording; Marathon's is not pinned by the reference). */
export function invalidRoleMessage(role: string): string {
  return `'${role}' is not a valid role name: it must not be empty, '.' or '..', must not start with '-' and must not contain tab, LF, VT, FF, CR, space, '/' or DEL`;
}

/** True for a valid Mesos role name. */
export function isValidRole(role: string): boolean {
  return role !== "" && role !== "." && role !== ".." && !role.startsWith("-") && !ROLE_FORBIDDEN.test(role);
}

/** Checks each role name at `path/<i>`. */
export function checkRoles(is: Issues, path: Path, roles: readonly string[]): void {
  roles.forEach((role, i) => check(is, [...path, i], isValidRole(role), invalidRoleMessage(role)));
}

/** Reads `unreachableStrategy`: `"disabled"` or `{inactiveAfterSeconds, expungeAfterSeconds}` (missing → default). */
export function unreachableStrategy(defaults: { inactiveAfterSeconds: number; expungeAfterSeconds: number }): Reader<UnreachableStrategy> {
  return (v, path, is) => {
    if (v === "disabled") return "disabled";
    if (!isObject(v)) {
      is.typeError(path, ShapeError.object);
      return undefined;
    }
    const inactive = opt(v, "inactiveAfterSeconds", int, path, is);
    const expunge = opt(v, "expungeAfterSeconds", int, path, is);
    return {
      inactiveAfterSeconds: inactive ?? defaults.inactiveAfterSeconds,
      expungeAfterSeconds: expunge ?? defaults.expungeAfterSeconds,
    };
  };
}

/** 1.4.9+ rule: `0 ≤ inactiveAfterSeconds ≤ expungeAfterSeconds`. */
export function checkUnreachableStrategy(is: Issues, path: Path, s: UnreachableStrategy): void {
  if (s === "disabled") return;
  atLeast(is, [...path, "inactiveAfterSeconds"], s.inactiveAfterSeconds, 0, "int");
  atLeast(is, [...path, "expungeAfterSeconds"], s.expungeAfterSeconds, 0, "int");
  if (s.inactiveAfterSeconds >= 0) atMost(is, [...path, "inactiveAfterSeconds"], s.inactiveAfterSeconds, s.expungeAfterSeconds, "int");
}

// Characters java.net.URI refuses anywhere in a URI.
const URI_ILLEGAL = /[\s<>"{}|\\^`]/;
const URI_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** Approximates `new java.net.URI(s)`: no illegal characters, well-formed `%` escapes, a scheme is followed by something. */
export function isValidUri(s: string): boolean {
  if (s.length === 0 || URI_ILLEGAL.test(s)) return false;
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) return false;
  const scheme = URI_SCHEME.exec(s);
  if (scheme !== null && s.length === scheme[0].length) return false;
  return !s.startsWith(":");
}

const URL_PROTOCOLS = new Set(["http", "https", "ftp", "file", "jar"]);

/** `new java.net.URL(s)`'s failure message, or undefined when it would parse. */
export function urlError(s: string): string | undefined {
  const scheme = URI_SCHEME.exec(s);
  if (scheme === null) return `no protocol: ${s}`;
  const protocol = (scheme[1] ?? "").toLowerCase();
  if (!URL_PROTOCOLS.has(protocol)) return `unknown protocol: ${protocol}`;
  return undefined;
}

const ARCHIVE_EXTENSIONS = [".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip"];

/** Whether Mesos should extract the artifact (`FetchUri.isExtract`: archive extension). */
export function isArchive(uri: string): boolean {
  const path = uri.split(/[?#]/)[0] ?? uri;
  return ARCHIVE_EXTENSIONS.some((ext) => path.endsWith(ext));
}

/** Reads an app `fetch` entry or a pod container artifact: `extract` defaults to true, the flags to false. */
export const fetchUri: Reader<FetchUri> = objectReader((o, path, is) => {
  const uri = req(o, "uri", str, path, is);
  if (uri === undefined) return undefined;
  const f: FetchUri = {
    uri,
    extract: opt(o, "extract", bool, path, is) ?? true,
    executable: opt(o, "executable", bool, path, is) ?? false,
    cache: opt(o, "cache", bool, path, is) ?? false,
  };
  const destPath = opt(o, "destPath", str, path, is);
  if (destPath !== undefined) f.destPath = destPath;
  return f;
});
