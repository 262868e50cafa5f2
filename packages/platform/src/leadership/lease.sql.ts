/**
 * The statements of a leader lease (tables `leases` and `lease_renewals`, see the event store's
 * migrations). Mutual exclusion is a session advisory lock on a dedicated connection: it is
 * released the moment that connection ends (a killed process, a cut network once keepalives
 * notice), with no timeout to wait out. The epoch in `leases` is the fence writers check.
 */

/** Takes the lease's advisory lock if free ($1 lock key text); true when this session holds it. */
export const TRY_LOCK_SQL = `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`;

/** The current holder, its backend and whether its last renewal is older than $2 ms. */
export const HOLDER_SQL = `
SELECT l.holder, l.backend_pid, l.epoch::text,
  coalesce(r.renewed_at < now() - $2 * interval '1 millisecond', false) AS stale
FROM leases l LEFT JOIN lease_renewals r USING (name) WHERE l.name = $1`;

/** Ends a holder's backend (which releases its advisory lock and rolls back its transaction). */
export const TERMINATE_SQL = `SELECT pg_terminate_backend($1) AS terminated`;

/** The backends this one waits for ($1 pid): old fenced writers that hold the lease row. */
export const TERMINATE_BLOCKERS_SQL = `SELECT pg_terminate_backend(b) FROM unnest(pg_blocking_pids($1)) AS b`;

/** Locks the lease row and reads the previous holder (absent for a first acquisition). */
export const PREVIOUS_HOLDER_SQL = `SELECT holder FROM leases WHERE name = $1 FOR UPDATE`;

/**
 * Raises the epoch (or starts it at 1) and records the new holder ($1 name, $2 holder). Waits
 * for every fenced transaction of the previous epoch (they hold the row FOR SHARE), and every
 * later one of that epoch fails its fence.
 */
export const BUMP_EPOCH_SQL = `
INSERT INTO leases (name, epoch, holder, backend_pid) VALUES ($1, 1, $2, pg_backend_pid())
ON CONFLICT (name) DO UPDATE SET epoch = leases.epoch + 1, holder = EXCLUDED.holder,
  backend_pid = EXCLUDED.backend_pid, acquired_at = now()
RETURNING epoch::text`;

/** Marks the holder alive ($1 name). */
export const RENEW_SQL = `
INSERT INTO lease_renewals (name, renewed_at) VALUES ($1, now())
ON CONFLICT (name) DO UPDATE SET renewed_at = now()`;

/** True while the lease is still at epoch $2 ($1 name). */
export const STILL_HELD_SQL = `SELECT epoch = $2::bigint AS held FROM leases WHERE name = $1`;

/** Keeps a dead peer from holding the lock for long: the server probes an idle client connection. */
export const KEEPALIVE_SQL = `SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3`;
