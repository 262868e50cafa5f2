import type { DescMessage, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { authorize, type Permission, type Principal } from "../auth/index.ts";
import { GantryError } from "../errors/index.ts";
import type { EncodedMessage } from "./encoded-message.ts";
import type { Logger } from "../logging/index.ts";

/** The four gRPC call shapes, as protobuf-es names them. */
export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

/** What a handler knows about the call it serves, besides the request. */
export interface CallContext {
  /** The authenticated caller (`anonymous` only on health and reflection). */
  principal: Principal;
  /** Request metadata, lower-case keys, first value of each; `-bin` values base64; `authorization` removed. */
  metadata: Record<string, string>;
  /** Aborted when the client cancels or the deadline passes; pass it to anything that waits. */
  signal: AbortSignal;
  /** The component logger with `method` and `correlationId` bound (and trace ids while a span is active). */
  logger: Logger;
  /** From `x-correlation-id`, or a new UUID; sent on with every downstream gRPC call made from the handler. */
  correlationId: string;
  /** The caller's W3C traceparent, when it sent one. The server span is active during the handler either way. */
  traceparent?: string;
}

/** The input message descriptor of a method. */
export type In<M> = M extends { input: infer I extends DescMessage } ? I : never;
/** The output message descriptor of a method. */
export type Out<M> = M extends { output: infer O extends DescMessage } ? O : never;

/**
 * The handler of one method, by its kind: async function for unary outputs, async generator for
 * streamed ones. Either may give a response already encoded (`EncodedMessage`), sent as it is.
 */
export type MethodHandler<M> = M extends { methodKind: "unary" }
  ? (request: MessageShape<In<M>>, ctx: CallContext) => Promise<MessageInitShape<Out<M>> | EncodedMessage<Out<M>>>
  : M extends { methodKind: "server_streaming" }
    ? (request: MessageShape<In<M>>, ctx: CallContext) => AsyncIterable<MessageInitShape<Out<M>> | EncodedMessage<Out<M>>>
    : M extends { methodKind: "client_streaming" }
      ? (requests: AsyncIterable<MessageShape<In<M>>>, ctx: CallContext) => Promise<MessageInitShape<Out<M>> | EncodedMessage<Out<M>>>
      : M extends { methodKind: "bidi_streaming" }
        ? (requests: AsyncIterable<MessageShape<In<M>>>, ctx: CallContext) => AsyncIterable<MessageInitShape<Out<M>> | EncodedMessage<Out<M>>>
        : never;

/** The handlers of a service, keyed by method localName (`createApp`, `watchTasks`). Every method needs one. */
export type Handlers<S extends GenService<GenServiceMethods>> = {
  [K in keyof S["method"]]: MethodHandler<S["method"][K]>;
};

/** Any handler, as the adapter sees it after type checking. */
export type AnyHandler = (input: any, ctx: CallContext) => Promise<unknown> | AsyncIterable<unknown>;

/** What a call needs: the permissions it requires, worked out from its request (none = any authenticated caller). */
export type Requirement = Permission | readonly Permission[];

/**
 * How one method is authorised: a function of its request for unary and server-streaming methods
 * (a client stream's requests arrive later: a function of nothing). Handlers whose answer depends
 * on what the caller may see (lists) require nothing here and filter with `isAllowed`.
 */
export type PermissionRule<M> = M extends { methodKind: "unary" | "server_streaming" } ? (request: MessageShape<In<M>>) => Requirement : () => Requirement;

/** The rule of every method of a service, keyed by method localName. Every method needs one. */
export type Permissions<S extends GenService<GenServiceMethods>> = {
  [K in keyof S["method"]]: PermissionRule<S["method"][K]>;
};

/** A service descriptor with its handlers, checked against each other by `bindService`. */
export interface ServiceBinding {
  readonly service: DescService;
  readonly handlers: Readonly<Record<string, AnyHandler>>;
}

/**
 * Pairs a generated service descriptor with its handlers and their permissions, type-checking
 * every handler against its method's kind and messages. Each handler runs only after the
 * caller's principal holds what its method's rule requires (PermissionDenied otherwise, logged
 * with the principal, action and resource, and given to `audit`): the one policy point of every gRPC method. Throws
 * when a method of the service has no handler or no rule.
 */
/** A refusal for want of a permission, as the audit records it. */
export interface Denial {
  principal: string;
  action: string;
  /** The resource id that was missing (`gantry:apps:/team-b/web`). */
  resource: string;
  /** `/gantry.registry.v1.RegistryService/DeleteApp` */
  method: string;
}

/** Where refusals go besides the log line (the event log: see `recordDenials`). */
export interface AccessAudit {
  denied(ctx: CallContext, denial: Denial): void;
}

export function bindService<S extends GenService<GenServiceMethods>>(service: S, handlers: Handlers<S>, permissions: Permissions<S>, audit?: AccessAudit): ServiceBinding {
  const table = handlers as unknown as Record<string, AnyHandler>;
  const rules = permissions as unknown as Record<string, (request?: unknown) => Requirement>;
  const guarded: Record<string, AnyHandler> = {};
  for (const method of (service as unknown as DescService).methods) {
    const handler = table[method.localName];
    const rule = rules[method.localName];
    if (typeof handler !== "function") throw new TypeError(`no handler for ${service.typeName}.${method.name} (key "${method.localName}")`);
    if (typeof rule !== "function") throw new TypeError(`no permission rule for ${service.typeName}.${method.name} (key "${method.localName}")`);
    const takesRequest = method.methodKind === "unary" || method.methodKind === "server_streaming";
    const path = `/${service.typeName}/${method.name}`;
    const check = (input: unknown, ctx: CallContext) => enforce(ctx, takesRequest ? rule(input) : rule(), path, audit);
    guarded[method.localName] =
      method.methodKind === "unary" || method.methodKind === "client_streaming"
        ? async (input, ctx) => {
            check(input, ctx);
            return (handler(input, ctx) as Promise<unknown>);
          }
        : async function* (input, ctx) {
            check(input, ctx);
            yield* handler(input, ctx) as AsyncIterable<unknown>;
          };
  }
  return { service: service as unknown as DescService, handlers: guarded };
}

/** Authorises the call; a refusal is logged (who, what, which resource) and audited before it is answered. */
function enforce(ctx: CallContext, required: Requirement, method: string, audit: AccessAudit | undefined): void {
  try {
    authorize(ctx.principal, required);
  } catch (err) {
    if (err instanceof GantryError) {
      ctx.logger.warn({ principal: ctx.principal.name, denied: err.details }, "permission denied");
      const d = err.details as { action: string; resource: string };
      audit?.denied(ctx, { principal: ctx.principal.name, action: d.action, resource: d.resource, method });
    }
    throw err;
  }
}
