/** Secrets: values sealed with the cluster's secrets key (kept outside the database). */
export { generateSecretsKey, openSecret, sealSecret, secretsKeyFromEnv, SECRETS_KEY_BYTES } from "./sealing.ts";
