import { hash, verify } from "@node-rs/argon2";

/** The shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 8;

/** argon2id with the library's defaults (OWASP's minimum: 19 MiB, 2 passes), in PHC string form. */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** True when `password` matches the PHC hash; false (never a throw) for a malformed hash. */
export async function passwordMatches(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}
