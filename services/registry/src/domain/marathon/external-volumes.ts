/**
 * External volumes (`container.volumes[].external`) as Marathon 1.4.12 validates them, on its
 * three levels, with its paths and messages:
 *
 *   volume  `ExternalVolume.validExternalVolume` + `ExternalVolumeInfo` (`M/state/Volume.scala`)
 *           and the provider's volume rules (`DVDIProviderValidations.volume`)
 *   app     `DVDIProviderValidations.app`: run when the app has a `dvdi` volume
 *   tree    `DVDIProviderValidations.rootGroup`: a `dvdi` volume name belongs to one app
 *
 * The only provider is `dvdi` (`StaticExternalVolumeProviderRegistry`). Paths are Accord's
 * descriptions as Marathon renders them, odd ones included:
 * - option rules name the option: `/container/volumes(0)/external/options("dvdi/iops")`;
 * - option keys are checked at `/container/volumes(0)/external/optionskeys` (Accord's `keys`
 *   under the map's description, joined without a slash);
 * - the app-level container rules index a volume among the app's EXTERNAL volumes only (Marathon
 *   validates `volumes.collect { case ev: ExternalVolume => ev }`), so with a host volume first
 *   the external one is `volumes(0)`;
 * - the tree rule reports at `/groups(i)/apps(j)/externalVolumes(k)` (k among the app's external
 *   volumes), apps and groups in id order.
 * Values are checked as Marathon's Java/Scala code does (`$` also matches before a final line
 * terminator; `dvdi/iops` parses as a Java `long`; `dvdi/overwritefs` passes only when
 * `toBoolean` is true, so `"false"` is refused, as in 1.4.12).
 */
import type { AppDefinition, AppVolume, ExternalVolumeInfo } from "./app.model.ts";
import { PersistentVolumeMessages } from "./volume-messages.ts";
import { between, check, equalTo, featureNotEnabled, moreThan, notEmpty, type Issues, type Path } from "./field-validators.ts";

/** The provider name Marathon 1.4.12 knows (`DVDIProvider.name`). */
export const DVDI_PROVIDER = "dvdi";
/** The option naming the Docker volume driver (`DVDIProvider.driverOption`). */
export const DVDI_DRIVER_OPTION = "dvdi/driver";

/** A Java regular expression used with `Matcher.find()` (Accord's `matchRegex`). */
interface JavaRegex {
  readonly source: string;
  readonly find: (s: string) => boolean;
}

/**
 * `^…$` patterns as Java finds them: without MULTILINE, `$` also matches before a line
 * terminator that ends the input, so `"io1\n"` is a label.
 */
function anchoredJavaRegex(source: string): JavaRegex {
  const re = new RegExp(source);
  const finalTerminator = /(?:\r\n|[\n\r\u0085\u2028\u2029])$/;
  return { source, find: (s) => re.test(s) || (finalTerminator.test(s) && re.test(s.replace(finalTerminator, ""))) };
}

/** `OptionLabelPatterns.LabelRegex`: names, providers, the driver and rexray label options. */
export const LABEL_REGEX = anchoredJavaRegex("^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$");
/** `OptionLabelPatterns.OptionKeyRegex`: `<label>/<option name>`. */
export const OPTION_KEY_REGEX = anchoredJavaRegex("^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?/[A-Za-z0-9](?:[-A-Za-z0-9\\._:]*[A-Za-z0-9])?$");

const mustMatch = (r: JavaRegex) => `must match regular expression '${r.source}'`;

/** Marathon's external-volume messages (`Volume.scala`, `DVDIProvider.scala`, `OptionSupport.scala`). */
export const ExternalVolumeMessages = {
  unknownProvider: "is unknown provider",
  notDefined: "not defined",
  label: mustMatch(LABEL_REGEX),
  optionKey: mustMatch(OPTION_KEY_REGEX),
  dockerOnlyDriver: `must only contain ${DVDI_DRIVER_OPTION}`,
  dockerSize: "must be undefined for Docker containers",
  /** Accord's `matchRegexFully(PathPatterns.NoSlashesPattern)` (persistent volumes word it differently). */
  mesosNoSlashes: "must fully match regular expression '^[^/]*$'",
  naturalNumber: (value: string) => `Expected a valid, positive integer instead of ${value}`,
  boolean: "Expected a valid boolean",
  declaredTwice: (name: string, appId: string) => `Requested DVDI volume '${name}' is declared more than once within app ${appId}`,
  /**
   * Marathon interpolates `[$app.id]`, i.e. the whole app's Scala `toString` followed by `.id`;
   * Gantry names the app id (see README, deliberate differences).
   */
  oneInstance: (appId: string) => `Number of instances is limited to 1 when declaring DVDI volumes in app [${appId}]`,
  nameConflict: (name: string, appId: string, others: readonly string[]) =>
    `Volume name '${name}' in ${appId} conflicts with volume(s) of same name in app(s): ${others.join(", ")}`,
} as const;

/** The path segment Marathon prints for one option: `options("dvdi/iops")`. */
function optionSegment(option: string): string {
  return `options("${option}")`;
}

// ---------------------------------------------------------------------------------------------
// Volume level

/** Java's `Long.parseLong(v) > 0` (ASCII digits; Java also reads other Unicode decimal digits). */
function isNaturalLong(v: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(v)) return false;
  const n = BigInt(v);
  return n > 0n && n <= 9223372036854775807n;
}

/** The rexray options `DVDIProviderValidations.volume` checks when `dvdi/driver` is `rexray`. */
const REXRAY_OPTIONS: readonly { option: string; valid: (v: string) => boolean; message: (v: string) => string }[] = [
  { option: "dvdi/volumetype", valid: LABEL_REGEX.find, message: () => ExternalVolumeMessages.label },
  { option: "dvdi/newfstype", valid: LABEL_REGEX.find, message: () => ExternalVolumeMessages.label },
  { option: "dvdi/iops", valid: isNaturalLong, message: ExternalVolumeMessages.naturalNumber },
  // Scala's `toBoolean` throws unless "true"/"false" (any case), and the rule is `isTrue(toBoolean)`.
  { option: "dvdi/overwritefs", valid: (v) => v.toLowerCase() === "true", message: () => ExternalVolumeMessages.boolean },
];

/**
 * One external volume at `path` (`/container/volumes(i)`, i among all volumes): the feature flag,
 * `ExternalVolumeInfo`'s size/name/provider/option-key rules, then the provider's: unknown
 * provider, or for `dvdi` a non-empty name, a label `dvdi/driver` and, for `rexray`, its options.
 * (`containerPath` must not be empty for every kind of volume; the caller checks it.)
 */
export function checkExternalVolume(is: Issues, path: Path, e: ExternalVolumeInfo, features: ReadonlySet<string>): void {
  check(is, path, features.has("external_volumes"), featureNotEnabled("external_volumes"));
  const ep = [...path, "external"];
  if (e.size !== undefined) moreThan(is, [...ep, "size"], e.size, 0, "int");
  check(is, [...ep, "name"], LABEL_REGEX.find(e.name), ExternalVolumeMessages.label);
  check(is, [...ep, "provider"], LABEL_REGEX.find(e.provider), ExternalVolumeMessages.label);
  for (const key of Object.keys(e.options)) check(is, [...ep, "optionskeys"], OPTION_KEY_REGEX.find(key), ExternalVolumeMessages.optionKey);
  if (e.provider !== DVDI_PROVIDER) {
    is.violation([...ep, "provider"], ExternalVolumeMessages.unknownProvider);
    return;
  }
  notEmpty(is, [...ep, "name"], e.name);
  const driver = e.options[DVDI_DRIVER_OPTION];
  const dp = [...ep, optionSegment(DVDI_DRIVER_OPTION)];
  if (driver === undefined) is.violation(dp, ExternalVolumeMessages.notDefined);
  else check(is, dp, LABEL_REGEX.find(driver), ExternalVolumeMessages.label);
  if (driver !== "rexray") return;
  for (const r of REXRAY_OPTIONS) {
    const value = e.options[r.option];
    if (value !== undefined) check(is, [...ep, optionSegment(r.option)], r.valid(value), r.message(value));
  }
}

// ---------------------------------------------------------------------------------------------
// App level

type ExternalVolume = AppVolume & { external: ExternalVolumeInfo };

function externalVolumesOf(app: AppDefinition): ExternalVolume[] {
  return (app.container?.volumes ?? []).filter((v): v is ExternalVolume => v.external !== undefined);
}

/** True when the app declares an external volume: only such apps can raise `externalVolumeTreeIssues`. */
export function usesExternalVolumes(app: AppDefinition): boolean {
  return externalVolumesOf(app).length > 0;
}

const isDvdi = (v: ExternalVolume): boolean => v.external.provider === DVDI_PROVIDER;

/**
 * `DVDIProviderValidations.app`, for an app with at least one `dvdi` volume: each volume name
 * once, at most one instance (both at `/`), the container's rules for each `dvdi` volume (Docker:
 * only the driver option, no size; Mesos: mode RW, a containerPath without `/`; neither `.` nor
 * `..`), and the resident upgrade strategy (`maximumOverCapacity` 0).
 */
export function checkExternalVolumesOfApp(is: Issues, app: AppDefinition): void {
  const externals = externalVolumesOf(app);
  if (!externals.some(isDvdi)) return;
  const names = externals.filter(isDvdi).map((v) => v.external.name);
  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i))) is.violation([], ExternalVolumeMessages.declaredTwice(name, app.id));
  check(is, [], app.instances <= 1, ExternalVolumeMessages.oneInstance(app.id));
  const docker = app.container?.type === "DOCKER";
  externals.forEach((v, j) => {
    if (!isDvdi(v)) return;
    const vp: Path = ["container", "volumes", j];
    const cp = [...vp, "containerPath"];
    if (docker) {
      const onlyDriver = Object.keys(v.external.options).every((k) => k === DVDI_DRIVER_OPTION);
      check(is, [...vp, "external", "options"], onlyDriver, ExternalVolumeMessages.dockerOnlyDriver);
      check(is, [...vp, "external", "size"], v.external.size === undefined, ExternalVolumeMessages.dockerSize);
    } else {
      check(is, [...vp, "mode"], v.mode === "RW", PersistentVolumeMessages.modeRW);
    }
    check(is, cp, v.containerPath !== "." && v.containerPath !== "..", PersistentVolumeMessages.dotPath);
    if (!docker) check(is, cp, !v.containerPath.includes("/"), ExternalVolumeMessages.mesosNoSlashes);
  });
  // `UpgradeStrategy.validForResidentTasks`.
  between(is, ["upgradeStrategy", "minimumHealthCapacity"], app.upgradeStrategy.minimumHealthCapacity, 0, 1, "double");
  equalTo(is, ["upgradeStrategy", "maximumOverCapacity"], app.upgradeStrategy.maximumOverCapacity, 0, "double");
}

// ---------------------------------------------------------------------------------------------
// Tree level

/** What the tree rule needs of a group: its apps and nested groups (in id order). */
export interface AppTree {
  readonly apps: readonly AppDefinition[];
  readonly groups: readonly AppTree[];
}

/**
 * `DVDIProviderValidations.rootGroup`: a `dvdi` volume name may be used by one app only (in the
 * whole tree; twice within one app is the app rule). Each external volume whose name a `dvdi`
 * volume of another app uses is reported at `/groups(i)/…/apps(j)/externalVolumes(k)`, naming
 * those apps in id order (Marathon lists a `Set`). And, as Marathon's root group validates its
 * apps again, an app with a `dvdi` volume and more than one instance is reported at its place in
 * the tree: a change that never validates the app alone (a group's scaleBy) cannot raise it.
 */
export function externalVolumeTreeIssues(root: AppTree): { path: Path; message: string }[] {
  const appsByName = new Map<string, string[]>();
  const collect = (g: AppTree): void => {
    for (const app of g.apps) {
      for (const v of externalVolumesOf(app).filter(isDvdi)) {
        const ids = appsByName.get(v.external.name) ?? [];
        if (!ids.includes(app.id)) ids.push(app.id);
        appsByName.set(v.external.name, ids);
      }
    }
    g.groups.forEach(collect);
  };
  collect(root);
  const out: { path: Path; message: string }[] = [];
  const walk = (g: AppTree, path: Path): void => {
    g.apps.forEach((app, j) => {
      if (app.instances > 1 && externalVolumesOf(app).some(isDvdi)) out.push({ path: [...path, "apps", j], message: ExternalVolumeMessages.oneInstance(app.id) });
      externalVolumesOf(app).forEach((v, k) => {
        const others = (appsByName.get(v.external.name) ?? []).filter((id) => id !== app.id).sort();
        if (others.length > 0) out.push({ path: [...path, "apps", j, "externalVolumes", k], message: ExternalVolumeMessages.nameConflict(v.external.name, app.id, others) });
      });
    });
    g.groups.forEach((child, i) => walk(child, [...path, "groups", i]));
  };
  walk(root, []);
  return out;
}
