import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { eventsV1Auth } from "@gantry/proto";
import { eventOf, GantryError, parseAction, parseResourceId, resourceIdOf, type EventStore, type NewEvent, type TokenSigner } from "@gantry/platform";
import { appendDecided, type Actor } from "../app/decided-append.ts";
import type { IamProjection } from "./iam.projection.ts";
import { hashPassword, MIN_PASSWORD_LENGTH, passwordMatches } from "./password-hash.ts";
import { isServiceAccountLogin, rsaPublicKey } from "./service-account-login.ts";

/** Who acts, as recorded in each event's metadata. */
export type IamActor = Actor;

/** Principal and group names: what NATS keys, task environments and `group:<name>` holders can carry. */
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface IamCommandsOptions {
  store: Pick<EventStore, "append">;
  projection: IamProjection;
  /** Folds the log until the stream reached `version` (this replica's or another's write). */
  catchUp: (streamId: string, version: number) => Promise<void>;
  /** Issues login tokens; without it (a registry given only an authenticator) Login is refused. */
  signer?: TokenSigner;
  /** How long a login's token lives. */
  tokenTtlSeconds: number;
}

function invalid(field: string, message: string): GantryError {
  return new GantryError("InvalidArgument", `${field}: ${message}`, { violations: [{ path: `/${field}`, errors: [message] }] });
}

function checkName(field: string, name: string): string {
  if (!NAME.test(name)) throw invalid(field, `"${name}" is not a valid name: 1-63 lower-case letters, digits, '_' or '-', starting with a letter or digit`);
  return name;
}

function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) throw invalid("password", `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  return password;
}

const LOGIN_REFUSED = "login refused: unknown principal or wrong credentials";

/**
 * The registry's IAM commands: each checks its input (errors name the field), appends its event
 * with the acting principal to the holder's stream at the version this replica has folded (a
 * concurrent change by another replica is caught up and the command decided again), and waits
 * until the projection holds it, so the next call sees it.
 */
export class IamCommands {
  private readonly o: IamCommandsOptions;

  constructor(options: IamCommandsOptions) {
    this.o = options;
  }

  async createUser(name: string, password: string, description: string, actor: IamActor): Promise<void> {
    checkName("name", name);
    checkPassword(password);
    const passwordHash = await hashPassword(password);
    await this.write(`principal-${name}`, actor, () => {
      this.absent(name);
      return [event(eventsV1Auth.UserCreatedSchema, { name, description, passwordHash })];
    });
  }

  async setPassword(name: string, password: string, actor: IamActor): Promise<void> {
    checkPassword(password);
    const passwordHash = await hashPassword(password);
    await this.write(`principal-${name}`, actor, () => {
      if (this.known(name).kind !== "user") throw invalid("name", `"${name}" is a service account: it has a key, not a password`);
      return [event(eventsV1Auth.PasswordChangedSchema, { name, passwordHash })];
    });
  }

  async createServiceAccount(name: string, publicKeyPem: string, description: string, actor: IamActor): Promise<void> {
    checkName("name", name);
    try {
      rsaPublicKey(publicKeyPem);
    } catch (err) {
      throw invalid("public_key_pem", (err as Error).message);
    }
    await this.write(`principal-${name}`, actor, () => {
      this.absent(name);
      return [event(eventsV1Auth.ServiceAccountCreatedSchema, { name, description, publicKeyPem })];
    });
  }

  async deletePrincipal(name: string, actor: IamActor): Promise<void> {
    await this.write(`principal-${name}`, actor, () => {
      this.known(name);
      return [event(eventsV1Auth.PrincipalDeletedSchema, { name })];
    });
  }

  async createGroup(name: string, description: string, actor: IamActor): Promise<void> {
    checkName("name", name);
    await this.write(`iamgroup-${name}`, actor, () => {
      if (this.o.projection.groups.has(name)) throw new GantryError("AlreadyExists", `group "${name}" already exists`);
      return [event(eventsV1Auth.IamGroupCreatedSchema, { name, description })];
    });
  }

  async deleteGroup(name: string, actor: IamActor): Promise<void> {
    await this.write(`iamgroup-${name}`, actor, () => {
      this.group(name);
      return [event(eventsV1Auth.IamGroupDeletedSchema, { name })];
    });
  }

  async addMember(group: string, principal: string, actor: IamActor): Promise<void> {
    await this.write(`iamgroup-${group}`, actor, () => {
      this.known(principal);
      if (this.group(group).members.has(principal)) return [];
      return [event(eventsV1Auth.IamGroupMemberAddedSchema, { group, principal })];
    });
  }

  async removeMember(group: string, principal: string, actor: IamActor): Promise<void> {
    await this.write(`iamgroup-${group}`, actor, () => {
      if (!this.group(group).members.has(principal)) throw new GantryError("NotFound", `"${principal}" is not a member of group "${group}"`);
      return [event(eventsV1Auth.IamGroupMemberRemovedSchema, { group, principal })];
    });
  }

  /** Grants `action` on `resourceId` to a principal or `group:<name>`; granting what it holds changes nothing. */
  async grant(holder: string, resourceId: string, action: string, actor: IamActor): Promise<void> {
    const permission = this.permission(resourceId, action);
    await this.write(this.holderStream(holder), actor, () => {
      const held = this.holder(holder).grants.some((g) => resourceIdOf(g) === resourceIdOf(permission) && g.action === permission.action);
      return held ? [] : [event(eventsV1Auth.PermissionGrantedSchema, { holder, resourceId: resourceIdOf(permission), action: permission.action })];
    });
  }

  async revoke(holder: string, resourceId: string, action: string, actor: IamActor): Promise<void> {
    const permission = this.permission(resourceId, action);
    await this.write(this.holderStream(holder), actor, () => {
      const held = this.holder(holder).grants.some((g) => resourceIdOf(g) === resourceIdOf(permission) && g.action === permission.action);
      if (!held) throw new GantryError("NotFound", `"${holder}" does not hold ${resourceIdOf(permission)} ${permission.action}`);
      return [event(eventsV1Auth.PermissionRevokedSchema, { holder, resourceId: resourceIdOf(permission), action: permission.action })];
    });
  }

  /**
   * Exchanges a user's password or a service account's login JWT for a token that lives
   * `tokenTtlSeconds`; its issue (the id, never the token) is recorded. Unauthenticated, with the
   * same message, for an unknown principal and for wrong credentials.
   */
  async login(uid: string, credentials: { password?: string; token?: string }, correlationId: string): Promise<{ token: string; tokenId: string; expiresAt: string }> {
    const p = this.o.projection.principals.get(uid);
    const ok =
      p?.kind === "user" && credentials.password
        ? await passwordMatches(p.passwordHash ?? "", credentials.password)
        : p?.kind === "service-account" && credentials.token
          ? await isServiceAccountLogin(credentials.token, uid, p.publicKeyPem ?? "")
          : false;
    if (!ok) throw new GantryError("Unauthenticated", LOGIN_REFUSED);
    const signer = this.o.signer;
    if (!signer) throw new GantryError("FailedPrecondition", "this registry was started without the cluster's signing key and cannot issue tokens");
    const issued = signer.issue({ name: uid, roles: [] }, { ttlSeconds: this.o.tokenTtlSeconds });
    const expiresAt = new Date(signer.verifyClaims(issued.token)!.exp! * 1000).toISOString();
    await this.o.store.append(`principal-${uid}`, "any", [eventOf(eventsV1Auth.TokenIssuedSchema, create(eventsV1Auth.TokenIssuedSchema, { principal: uid, tokenId: issued.tokenId, expiresAt }), { principal: uid, correlationId })]);
    return { ...issued, expiresAt };
  }

  /** Makes token `tokenId` (of `owner`, when the caller knows it: a logout) unusable at once. */
  async revokeToken(tokenId: string, actor: IamActor, owner?: string): Promise<void> {
    const principal = owner ?? this.o.projection.issuedTokens.get(tokenId);
    if (!principal) throw new GantryError("NotFound", `no token with id "${tokenId}" was issued`);
    if (this.o.projection.isRevoked(tokenId)) return;
    const result = await this.o.store.append(`principal-${principal}`, "any", [eventOf(eventsV1Auth.TokenRevokedSchema, create(eventsV1Auth.TokenRevokedSchema, { principal, tokenId }), actor)]);
    if (result.ok) await this.o.catchUp(`principal-${principal}`, result.nextVersion);
  }

  private permission(resourceId: string, action: string) {
    try {
      return { ...parseResourceId(resourceId), action: parseAction(action) };
    } catch (err) {
      throw invalid(/action/.test((err as Error).message) ? "action" : "resource_id", (err as Error).message);
    }
  }

  private holderStream(holder: string): string {
    return holder.startsWith("group:") ? `iamgroup-${holder.slice("group:".length)}` : `principal-${holder}`;
  }

  private holder(holder: string) {
    const found = this.o.projection.holder(holder);
    if (!found) throw new GantryError("NotFound", holder.startsWith("group:") ? `group "${holder.slice(6)}" does not exist` : `principal "${holder}" does not exist`);
    return found;
  }

  private absent(name: string): void {
    if (this.o.projection.principals.has(name)) throw new GantryError("AlreadyExists", `principal "${name}" already exists`);
  }

  private known(name: string) {
    const p = this.o.projection.principals.get(name);
    if (!p) throw new GantryError("NotFound", `principal "${name}" does not exist`);
    return p;
  }

  private group(name: string) {
    const g = this.o.projection.groups.get(name);
    if (!g) throw new GantryError("NotFound", `group "${name}" does not exist`);
    return g;
  }

  private write(streamId: string, actor: IamActor, decide: () => NewEvent[]): Promise<void> {
    return appendDecided({ store: this.o.store, streamVersion: (id) => this.o.projection.streamVersion(id), catchUp: this.o.catchUp }, streamId, actor, decide);
  }
}

function event<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): NewEvent {
  return eventOf(schema, create(schema, init));
}
