/**
 * The history of one app, pod or group: every version it had, and the versions at which it was
 * deleted, in ascending version order. Versions are RFC 3339 timestamps with milliseconds
 * (`toISOString()`), so they sort as strings. Invariant: entries are sorted by version; a
 * deletion is an entry whose value is `undefined`.
 */
export class VersionHistory<T> {
  private readonly entries: { version: string; value: T | undefined }[] = [];

  /** Records the value (or a deletion, `undefined`) the entity has from `version` on. */
  record(version: string, value: T | undefined): void {
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.version > version) i--;
    if (i > 0 && this.entries[i - 1]!.version === version) this.entries[i - 1] = { version, value };
    else this.entries.splice(i, 0, { version, value });
  }

  /** The value now; undefined when never created or deleted last. */
  current(): T | undefined {
    return this.entries[this.entries.length - 1]?.value;
  }

  /** The value in force at `version` (the last entry at or before it); undefined if none or deleted. */
  at(version: string): T | undefined {
    let found: T | undefined;
    for (const e of this.entries) {
      if (e.version > version) break;
      found = e.value;
    }
    return found;
  }

  /** The value stored exactly at `version`, if the entity had one then. */
  exactly(version: string): T | undefined {
    return this.entries.find((e) => e.version === version)?.value;
  }

  /**
   * Versions of the current incarnation, newest first: a deletion ends an incarnation (Marathon
   * drops an app's versions with the app), so a re-created entity starts a fresh list.
   */
  versions(): string[] {
    const out: string[] = [];
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.value === undefined) break;
      out.push(e.version);
    }
    return out;
  }

  /** The newest version recorded, deletion included. */
  latestVersion(): string | undefined {
    return this.entries[this.entries.length - 1]?.version;
  }
}
