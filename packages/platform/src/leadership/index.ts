/**
 * Leader leases: one holder at a time per lease, an epoch that rises with every take-over, and
 * the fence that makes a deposed holder's writes fail. See README.md.
 */
export { runForLease } from "./leader-lease.ts";
export type { LeaseOptions, LeaseTerm } from "./leader-lease.ts";
