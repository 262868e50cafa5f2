import { fromJson, type DescMessage, type JsonObject, type MessageShape } from "@bufbuild/protobuf";
import { eventsV1Auth } from "@gantry/proto";
import { parseAction, parseResourceId, type Permission, type PrincipalDirectory } from "@gantry/platform";

/** An event of the IAM streams (`principal-<name>`, `iamgroup-<name>`) as the log holds it. */
export interface IamEvent {
  streamId: string;
  streamVersion: number;
  type: string;
  data: JsonObject;
  recordedAt: Date;
  transactionId: bigint;
  globalPosition: bigint;
}

/** A user or a service account. */
export interface PrincipalRecord {
  name: string;
  kind: "user" | "service-account";
  description: string;
  /** argon2id (PHC form); users only. */
  passwordHash?: string;
  /** SPKI PEM; service accounts only. */
  publicKeyPem?: string;
  grants: Permission[];
}

/** A group of principals: what it is granted, its members are. */
export interface IamGroupRecord {
  name: string;
  description: string;
  members: Set<string>;
  grants: Permission[];
}

const GROUP_HOLDER = "group:";

/** The stream types the IAM projection folds. */
export const IAM_STREAM_TYPES = ["principal", "iamgroup"] as const;

function decode<Desc extends DescMessage>(schema: Desc, data: JsonObject): MessageShape<Desc> {
  return fromJson(schema, data, { ignoreUnknownFields: true });
}

function grantOf(m: { resourceId: string; action: string }): Permission {
  return { ...parseResourceId(m.resourceId), action: parseAction(m.action) };
}

function sameGrant(a: Permission, b: Permission): boolean {
  return a.resource === b.resource && a.action === b.action && (a.path ?? "/") === (b.path ?? "/");
}

/**
 * Principals, groups, grants and token revocations, folded from the log. It is the registry's
 * principal directory: a token names its principal, and what that principal may do, whether its
 * tokens still count, and whether one token was revoked are looked up here at every call (so a
 * grant, a revocation or a deletion applies at once, not when the token expires).
 */
export class IamProjection implements PrincipalDirectory {
  readonly principals = new Map<string, PrincipalRecord>();
  readonly groups = new Map<string, IamGroupRecord>();
  /** Issued token ids, with their principal (only ids are ever recorded, never tokens). */
  readonly issuedTokens = new Map<string, string>();
  /** Revoked token ids, with their principal. */
  readonly revokedTokens = new Map<string, string>();
  /** Per principal name: tokens issued before this time (unix seconds) no longer count (password changed, principal deleted). */
  readonly notBefore = new Map<string, number>();
  private readonly versions = new Map<string, number>();
  private revisionCount = 0;
  /** The log position (commit order) of the last event folded: what the directory is as of. */
  position: { transactionId: bigint; globalPosition: bigint } = { transactionId: 0n, globalPosition: 0n };
  /** Called after every applied event (the registry publishes the directory from here). */
  onChange: (() => void) | undefined;

  static folds(streamType: string): boolean {
    return (IAM_STREAM_TYPES as readonly string[]).includes(streamType);
  }

  /** Changes with every applied event (the directory published to other services follows it). */
  revision(): number {
    return this.revisionCount;
  }

  streamVersion(streamId: string): number {
    return this.versions.get(streamId) ?? 0;
  }

  /** Applies one event; false when its stream version was already applied. */
  apply(e: IamEvent): boolean {
    if (this.streamVersion(e.streamId) >= e.streamVersion) return false;
    this.versions.set(e.streamId, e.streamVersion);
    this.revisionCount++;
    if (e.transactionId > this.position.transactionId || (e.transactionId === this.position.transactionId && e.globalPosition > this.position.globalPosition)) {
      this.position = { transactionId: e.transactionId, globalPosition: e.globalPosition };
    }
    // Tokens are dated in whole seconds: one issued in the same second as the change still counts.
    const at = Math.floor(e.recordedAt.getTime() / 1000);
    switch (e.type) {
      case "UserCreated": {
        const m = decode(eventsV1Auth.UserCreatedSchema, e.data);
        this.principals.set(m.name, { name: m.name, kind: "user", description: m.description, passwordHash: m.passwordHash, grants: [] });
        break;
      }
      case "ServiceAccountCreated": {
        const m = decode(eventsV1Auth.ServiceAccountCreatedSchema, e.data);
        this.principals.set(m.name, { name: m.name, kind: "service-account", description: m.description, publicKeyPem: m.publicKeyPem, grants: [] });
        break;
      }
      case "PasswordChanged": {
        const m = decode(eventsV1Auth.PasswordChangedSchema, e.data);
        const p = this.principals.get(m.name);
        if (p) p.passwordHash = m.passwordHash;
        this.notBefore.set(m.name, at);
        break;
      }
      case "PrincipalDeleted": {
        const m = decode(eventsV1Auth.PrincipalDeletedSchema, e.data);
        this.principals.delete(m.name);
        for (const g of this.groups.values()) g.members.delete(m.name);
        this.notBefore.set(m.name, at);
        break;
      }
      case "IamGroupCreated": {
        const m = decode(eventsV1Auth.IamGroupCreatedSchema, e.data);
        this.groups.set(m.name, { name: m.name, description: m.description, members: new Set(), grants: [] });
        break;
      }
      case "IamGroupDeleted":
        this.groups.delete(decode(eventsV1Auth.IamGroupDeletedSchema, e.data).name);
        break;
      case "IamGroupMemberAdded": {
        const m = decode(eventsV1Auth.IamGroupMemberAddedSchema, e.data);
        this.groups.get(m.group)?.members.add(m.principal);
        break;
      }
      case "IamGroupMemberRemoved": {
        const m = decode(eventsV1Auth.IamGroupMemberRemovedSchema, e.data);
        this.groups.get(m.group)?.members.delete(m.principal);
        break;
      }
      case "PermissionGranted": {
        const m = decode(eventsV1Auth.PermissionGrantedSchema, e.data);
        const holder = this.holder(m.holder);
        const grant = grantOf(m);
        if (holder && !holder.grants.some((g) => sameGrant(g, grant))) holder.grants.push(grant);
        break;
      }
      case "PermissionRevoked": {
        const m = decode(eventsV1Auth.PermissionRevokedSchema, e.data);
        const holder = this.holder(m.holder);
        const grant = grantOf(m);
        if (holder) holder.grants = holder.grants.filter((g) => !sameGrant(g, grant));
        break;
      }
      case "TokenIssued": {
        const m = decode(eventsV1Auth.TokenIssuedSchema, e.data);
        this.issuedTokens.set(m.tokenId, m.principal);
        break;
      }
      case "TokenRevoked": {
        const m = decode(eventsV1Auth.TokenRevokedSchema, e.data);
        this.revokedTokens.set(m.tokenId, m.principal);
        break;
      }
      default:
        break;
    }
    this.onChange?.();
    return true;
  }

  /** The principal or group a grant names (`alice`, `group:team-a`). */
  holder(name: string): { grants: Permission[] } | undefined {
    return name.startsWith(GROUP_HOLDER) ? this.groups.get(name.slice(GROUP_HOLDER.length)) : this.principals.get(name);
  }

  /** The groups `name` belongs to. */
  groupsOf(name: string): string[] {
    return [...this.groups.values()].filter((g) => g.members.has(name)).map((g) => g.name).sort();
  }

  // PrincipalDirectory

  lookup(name: string): { grants: Permission[]; notBefore: number } | undefined {
    const p = this.principals.get(name);
    const notBefore = this.notBefore.get(name) ?? 0;
    if (!p) return notBefore > 0 ? { grants: [], notBefore } : undefined;
    const grants = [...p.grants, ...[...this.groups.values()].filter((g) => g.members.has(name)).flatMap((g) => g.grants)];
    return { grants, notBefore };
  }

  isRevoked(tokenId: string): boolean {
    return this.revokedTokens.has(tokenId);
  }
}
