/**
 * The JSON Schema served at `GET /v2/schemas/app`. Marathon serves its `AppDefinition.json`
 * there and never enforces it (the reference does not reproduce that file), so this is generated
 * from Gantry's field table: the same fields, types, enums and defaults that `validateApp`
 * applies. Like Marathon's, it is documentation: `validateApp` is the authority.
 */
import { APP_DEFAULTS, CONSTRAINT_OPERATORS, DOCKER_NETWORKS, HEALTH_CHECK_PROTOCOLS, KILL_SELECTIONS, PORT_PROTOCOLS } from "./app.model.ts";
import { EXECUTOR_PATTERN, PORT_DEFINITION_NAME } from "./app-validator.ts";
import { PORT_MAPPING_NAME } from "./app-container.ts";

type Schema = Record<string, unknown>;

const string = (extra: Schema = {}): Schema => ({ type: "string", ...extra });
const integer = (extra: Schema = {}): Schema => ({ type: "integer", ...extra });
const number = (extra: Schema = {}): Schema => ({ type: "number", ...extra });
const boolean = (dflt: boolean): Schema => ({ type: "boolean", default: dflt });
const array = (items: Schema, extra: Schema = {}): Schema => ({ type: "array", items, ...extra });
const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: "object",
  properties,
  ...(required.length > 0 ? { required } : {}),
});
const stringMap: Schema = { type: "object", additionalProperties: { type: "string" } };

/** The path-id pattern of Marathon's schema (`SCHEMA#/definitions/pathType`). */
export const SCHEMA_PATH_PATTERN = "^(\\/?((\\.{2})|([a-z0-9][a-z0-9\\-.]*[a-z0-9]+)|([a-z0-9]*))($|\\/))+$";

const pathId: Schema = string({ pattern: SCHEMA_PATH_PATTERN, minLength: 1 });
const constraint: Schema = array(string(), { minItems: 2, maxItems: 3, description: `[field, ${CONSTRAINT_OPERATORS.join("|")}(, value)]` });
const portProtocol: Schema = string({ enum: [...PORT_PROTOCOLS], default: "tcp" });

const portMapping = object({
  containerPort: integer({ minimum: 0, maximum: 65535, default: 0 }),
  hostPort: integer({ minimum: 0, maximum: 65535 }),
  servicePort: integer({ minimum: 0, maximum: 65535, default: 0 }),
  protocol: portProtocol,
  name: string({ pattern: PORT_MAPPING_NAME.source }),
  labels: stringMap,
});

const volume = object(
  {
    containerPath: string({ minLength: 1 }),
    hostPath: string(),
    mode: string({ enum: ["RO", "RW"] }),
    persistent: object(
      {
        type: string({ enum: ["root", "path", "mount"], default: "root" }),
        size: integer({ exclusiveMinimum: 0 }),
        maxSize: integer(),
        constraints: array(constraint),
      },
      ["size"],
    ),
    external: object({ size: integer(), name: string({ minLength: 1 }), provider: string({ minLength: 1 }), options: stringMap }, ["name", "provider"]),
  },
  ["containerPath", "mode"],
);

const hc = APP_DEFAULTS.healthCheck;
const rc = APP_DEFAULTS.readinessCheck;

/** The app JSON Schema (draft-04 vocabulary, as Marathon's). */
export const appJsonSchema: Schema = {
  $schema: "http://json-schema.org/draft-04/schema#",
  title: "AppDefinition",
  type: "object",
  required: ["id"],
  properties: {
    id: pathId,
    cmd: string({ minLength: 1 }),
    args: array(string()),
    user: string(),
    env: { type: "object", additionalProperties: { oneOf: [string(), object({ secret: string() }, ["secret"])] } },
    instances: integer({ minimum: 0, default: APP_DEFAULTS.instances }),
    cpus: number({ minimum: 0, default: APP_DEFAULTS.cpus }),
    mem: number({ minimum: 0, default: APP_DEFAULTS.mem }),
    disk: number({ minimum: 0, default: APP_DEFAULTS.disk }),
    gpus: integer({ minimum: 0, default: APP_DEFAULTS.gpus }),
    executor: string({ pattern: EXECUTOR_PATTERN.source, default: "" }),
    constraints: array(constraint),
    acceptedResourceRoles: array(string(), { minItems: 1, uniqueItems: true }),
    portDefinitions: array(
      object({ port: integer({ minimum: 0 }), protocol: portProtocol, name: string({ pattern: PORT_DEFINITION_NAME.source }), labels: stringMap }, ["port"]),
      { default: APP_DEFAULTS.portDefinitions },
    ),
    ports: array(integer({ minimum: 0 }), { uniqueItems: true, description: "deprecated: use portDefinitions" }),
    requirePorts: boolean(false),
    container: object({
      type: string({ enum: ["DOCKER", "MESOS"], default: "DOCKER" }),
      docker: object(
        {
          image: string({ minLength: 1 }),
          network: string({ enum: [...DOCKER_NETWORKS] }),
          portMappings: array(portMapping),
          privileged: boolean(false),
          parameters: array(object({ key: string(), value: string() }, ["key", "value"])),
          forcePullImage: boolean(false),
          credential: object({ principal: string({ minLength: 1 }), secret: string() }, ["principal"]),
        },
        ["image"],
      ),
      appc: object({ image: string({ minLength: 1 }), id: string(), labels: stringMap, forcePullImage: boolean(false) }, ["image"]),
      volumes: array(volume),
    }),
    healthChecks: array(
      object({
        protocol: string({ enum: [...HEALTH_CHECK_PROTOCOLS], default: "HTTP" }),
        gracePeriodSeconds: integer({ minimum: 0, default: hc.gracePeriodSeconds }),
        intervalSeconds: integer({ minimum: 0, default: hc.intervalSeconds }),
        timeoutSeconds: integer({ minimum: 0, default: hc.timeoutSeconds }),
        maxConsecutiveFailures: integer({ minimum: 0, default: hc.maxConsecutiveFailures }),
        delaySeconds: integer({ minimum: 0, default: hc.delaySeconds }),
        portIndex: integer({ minimum: 0 }),
        port: integer({ minimum: 0, maximum: 65535 }),
        path: string({ default: "/" }),
        ignoreHttp1xx: boolean(false),
        command: object({ value: string({ minLength: 1 }) }, ["value"]),
      }),
    ),
    readinessChecks: array(
      object({
        name: string({ default: rc.name }),
        protocol: string({ enum: ["HTTP", "HTTPS"], default: rc.protocol }),
        path: string({ default: rc.path }),
        portName: string({ default: rc.portName }),
        intervalSeconds: integer({ default: rc.intervalSeconds }),
        timeoutSeconds: integer({ exclusiveMinimum: 0, default: rc.timeoutSeconds }),
        httpStatusCodesForReady: array(integer(), { minItems: 1, default: rc.httpStatusCodesForReady }),
        preserveLastResponse: boolean(rc.preserveLastResponse),
      }),
      { maxItems: 1 },
    ),
    dependencies: array(pathId),
    upgradeStrategy: object({
      minimumHealthCapacity: number({ minimum: 0, maximum: 1, default: 1 }),
      maximumOverCapacity: number({ minimum: 0, maximum: 1, default: 1 }),
    }),
    backoffSeconds: integer({ minimum: 0, default: APP_DEFAULTS.backoffSeconds }),
    backoffFactor: number({ minimum: 1, default: APP_DEFAULTS.backoffFactor }),
    maxLaunchDelaySeconds: integer({ minimum: 0, default: APP_DEFAULTS.maxLaunchDelaySeconds }),
    labels: stringMap,
    fetch: array(
      object({ uri: string(), extract: boolean(true), executable: boolean(false), cache: boolean(false), destPath: string() }, ["uri"]),
    ),
    uris: array(string(), { description: "deprecated: use fetch" }),
    storeUrls: array(string({ format: "uri" })),
    ipAddress: object({
      groups: array(string()),
      labels: stringMap,
      discovery: object({
        ports: array(object({ number: integer({ minimum: 0 }), name: string({ minLength: 1 }), protocol: string({ enum: ["tcp", "udp"] }) }, ["number", "name"])),
      }),
      networkName: string(),
    }),
    residency: object({
      relaunchEscalationTimeoutSeconds: integer({ minimum: 0, default: 3600 }),
      taskLostBehavior: string({ enum: ["WAIT_FOREVER", "RELAUNCH_AFTER_TIMEOUT"], default: "WAIT_FOREVER" }),
    }),
    secrets: { type: "object", additionalProperties: object({ source: string({ minLength: 1 }) }, ["source"]) },
    taskKillGracePeriodSeconds: integer({ minimum: 0 }),
    killSelection: string({ enum: [...KILL_SELECTIONS], default: APP_DEFAULTS.killSelection }),
    unreachableStrategy: {
      oneOf: [
        string({ enum: ["disabled"] }),
        object({ inactiveAfterSeconds: integer({ minimum: 0, default: 0 }), expungeAfterSeconds: integer({ minimum: 0, default: 0 }) }),
      ],
    },
    version: string({ format: "date-time" }),
  },
};
