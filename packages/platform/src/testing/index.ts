/**
 * Test kit for tests against the real Postgres and NATS: waits with deadlines; one database and one
 * cluster name per test file, removed afterwards; TCP proxies that break connections, commits
 * and publishes for real. Not for production code.
 */
export { createTestDatabase } from "./test-database.ts";
export type { TestDatabase } from "./test-database.ts";
export { createTestCluster } from "./test-cluster.ts";
export type { TestCluster } from "./test-cluster.ts";
export { startPostgresFaultProxy } from "./fault-proxy/postgres-fault-proxy.ts";
export type { PostgresFaultProxy, PostgresFaultProxyOptions, PostgresFaultProxyStats } from "./fault-proxy/postgres-fault-proxy.ts";
export { startNatsFaultProxy } from "./fault-proxy/nats-fault-proxy.ts";
export type { NatsFaultProxy, NatsFaultProxyOptions, NatsFaultProxyStats, SwallowPublishOptions } from "./fault-proxy/nats-fault-proxy.ts";
export { startTcpRelay } from "./fault-proxy/tcp-relay.ts";
export type { TcpRelay, RelayConnection, RelayHandlers } from "./fault-proxy/tcp-relay.ts";
export { eventually, within, writtenText } from "./waits.ts";
export type { WaitSubject } from "./waits.ts";
export { openToAuthenticated } from "./open-permissions.ts";
