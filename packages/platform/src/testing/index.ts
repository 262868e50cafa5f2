/**
 * Test kit for integration tests against the real Postgres and NATS: one database and one
 * cluster name per test file, removed afterwards. Not for production code.
 */
export { createTestDatabase } from "./test-database.ts";
export type { TestDatabase } from "./test-database.ts";
export { createTestCluster } from "./test-cluster.ts";
export type { TestCluster } from "./test-cluster.ts";
