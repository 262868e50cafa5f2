import { createPublicKey, type KeyObject } from "node:crypto";
import { jwtVerify } from "jose";

/** The longest a login JWT may be valid for (DC/OS service accounts sign one for a few minutes). */
export const MAX_LOGIN_JWT_SECONDS = 3_600;

/** Parses an RSA public key (SPKI or PKCS#1 PEM); throws a message naming the problem. */
export function rsaPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new Error(`not a PEM public key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== "rsa") throw new Error(`an RSA key is needed, got ${key.asymmetricKeyType}`);
  return key;
}

/**
 * Whether `jwt` is a login token of service account `uid`: RS256, signed by its key, with
 * `uid` = the account, an `exp` no more than an hour ahead and not past (DC/OS's service login).
 */
export async function isServiceAccountLogin(jwt: string, uid: string, publicKeyPem: string, now: Date = new Date()): Promise<boolean> {
  try {
    const { payload } = await jwtVerify(jwt, rsaPublicKey(publicKeyPem), { algorithms: ["RS256"], currentDate: now, requiredClaims: ["exp"] });
    return payload.uid === uid && payload.exp! <= now.getTime() / 1000 + MAX_LOGIN_JWT_SECONDS;
  } catch {
    return false;
  }
}
