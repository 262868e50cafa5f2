/**
 * @gantry/platform: the shared foundation of every Gantry service. Each area has its own
 * folder with an index.ts; this file re-exports their public names.
 */
export { GantryError, invalidObject, hasCode } from "./errors/index.ts";
export type { ErrorCode, FieldViolation } from "./errors/index.ts";
export { createLogger } from "./logging/index.ts";
export type { Logger } from "./logging/index.ts";
export { clusterNames, infrastructureUrls, serviceEnvironment } from "./config/index.ts";
export type { ClusterNames, InfrastructureUrls, ServiceEnvironment } from "./config/index.ts";
export {
  connectBus,
  connectNats,
  natsServers,
  ensureStream,
  deleteClusterStreams,
  publishDurable,
  publishCore,
  requestReply,
  decodeMessage,
  messageHeaders,
  contextFromHeaders,
  runDurableConsumer,
  watchConsumerStall,
  deliveredBatches,
  subscribeCore,
  protobufDecoder,
  jsonDecoder,
  InOrderHandler,
  isPermanentFailure,
  ParkedKeys,
  openParking,
  ParkedHeaders,
  listParkedMessages,
  ListVersionAnnouncer,
  ListVersionWatch,
  listVersionsSubject,
  LIST_VERSION_TIMING,
} from "./bus/index.ts";
export type {
  Bus,
  StreamDeclaration,
  PublishOptions,
  DurableConsumerOptions,
  ConsumerStallWatch,
  CoreSubscriptionOptions,
  StreamMessage,
  ParkRequest,
  ParkSink,
  InOrderOutcome,
  InOrderOptions,
  RetryBackoff,
  Parking,
  ParkedMessagesReport,
  ParkedMessageSummary,
  ParkedConsumerCount,
  ListParkedOptions,
} from "./bus/index.ts";
export {
  EventStore,
  DEFAULT_EVENTS_CHANNEL,
  ConcurrencyError,
  START,
  positionOf,
  streamTypeOf,
  migrateEventStore,
  eventOf,
  decodeEvent,
  isEvent,
  startEventRelay,
  RELAY_SUBSCRIPTION_ID,
  RELAY_LEASE,
  BURST_COALESCE_MS,
  keepPlannerStatistics,
  FencedOutError,
  TransactionTooOldError,
  resolveOutcome,
  foldInStreamOrder,
  encodeRelayedEvent,
  decodeRelayedEvent,
  RelayHeaders,
} from "./eventstore/index.ts";
export type {
  EventStoreOptions,
  AppendResult,
  AppendManyResult,
  ExpectedVersion,
  StreamAppend,
  StreamConflict,
  NewEvent,
  RecordedEvent,
  EventMetadata,
  Position,
  JsonObject,
  JsonValue,
  EventRelay,
  EventRelayOptions,
  RelayedEvent,
  EventStoreTransaction,
  TransactionOptions,
  Fence,
  FollowOptions,
  ProjectionOptions,
  SubscriptionOptions,
  ReadAllOptions,
  ReadPage,
  StreamOrderedFold,
} from "./eventstore/index.ts";
export { runForLease } from "./leadership/index.ts";
export type { LeaseOptions, LeaseTerm } from "./leadership/index.ts";
export { delay } from "./async/delay.ts";
export { pushable } from "./async/pushable.ts";
export type { Pushable } from "./async/pushable.ts";
export {
  ANONYMOUS,
  createTokenSigner,
  formatGrant,
  parseGrant,
  generateSigningKey,
  loadOrCreateSigningKey,
  signingKeyFromEnv,
  createAuthenticator,
  tokenFromAuthorization,
  authorize,
  grantsOf,
  isAllowed,
  ACTIONS,
  RESOURCES,
  covers,
  onApps,
  onPath,
  grantsOfRoles,
  parseAction,
  parseResourceId,
  permits,
  resourceIdOf,
} from "./auth/index.ts";
export type { Principal, TokenClaims, IssuedToken, TokenSigner, Authenticator, Action, Permission, ResourceKind, DirectoryEntry, PrincipalDirectory } from "./auth/index.ts";
export { startTelemetry, injectTraceparent, extractContext, withExtractedContext, tracer } from "./telemetry/index.ts";
export { attachControlMetrics, controlBatch, recordPlacements, recordQueueDepth, recordRelayLag, recordApiRequest, timedAppend } from "./telemetry/index.ts";
export type { Telemetry, TraceCarrier } from "./telemetry/index.ts";
export { openDatabase, openClusterDatabase } from "./database/database.ts";
export { claimDatabaseForCluster } from "./database/cluster-claim.ts";
export type { Database, ClusterDatabase } from "./database/database.ts";
export { bindService, createGrpcServer, createGrpcClient, createGrpcProxy, CORRELATION_ID_KEY, currentCorrelationId, EncodedMessage, encodeBytesField, encodeFields, lengthDelimitedSize, varintSize, writeLengthDelimitedHeader, writeVarint, type EncodedPart, type LengthDelimitedField } from "./grpc/index.ts";
export type { AccessAudit, CallContext, Denial, Handlers, Permissions, Requirement, ServiceBinding, GrpcServer, GrpcClient, GrpcClientOptions, GrpcCallOptions, GrpcProxyOptions } from "./grpc/index.ts";
export { runServiceProcess } from "./process/run-service.ts";
export type { Stoppable } from "./process/run-service.ts";
export { directoryBucket, directoryEntries, followDirectory, publishDirectory, recordDenials } from "./iam/index.ts";
export type { FollowedDirectory, LogPoint } from "./iam/index.ts";
export { channelCredentials, createClusterCa, gatewayFetch, issueCertificate, natsTls, serverCredentials, tlsFromEnv } from "./tls/index.ts";
export type { PemPair, TlsMaterial } from "./tls/index.ts";
export { generateSecretsKey, openSecret, sealSecret, secretsKeyFromEnv, SECRETS_KEY_BYTES } from "./secrets/index.ts";
