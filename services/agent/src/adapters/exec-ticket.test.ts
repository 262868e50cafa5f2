import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { execTicketGate, execTicketPublicKey, verifyExecTicket } from "./exec-ticket.ts";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const NOW = Date.now();
const claims = { task: "shop_web.1", app: "/shop/web", cmd: ["sh", "-c", "id"], tty: true, stdin: true };

function sign(over: { aud?: string; iss?: string; exp?: number; payload?: Record<string, unknown>; key?: typeof privateKey; jti?: string } = {}): Promise<string> {
  return new SignJWT(over.payload ?? claims)
    .setProtectedHeader({ alg: "EdDSA" })
    .setIssuer(over.iss ?? "gantry-gateway")
    .setSubject("alice")
    .setAudience(over.aud ?? "agent-1")
    .setJti(over.jti ?? randomUUID())
    .setExpirationTime(over.exp ?? Math.floor(NOW / 1000) + 60)
    .sign(over.key ?? privateKey);
}

test("a ticket the gateway signed (jose, EdDSA) for this agent is read whole", async () => {
  const jti = randomUUID();
  const ticket = verifyExecTicket(await sign({ jti }), publicKey, "agent-1", NOW);
  assert.deepEqual(ticket, { sessionId: jti, principal: "alice", taskId: "shop_web.1", appId: "/shop/web", command: ["sh", "-c", "id"], tty: true, stdin: true, expiresAt: (Math.floor(NOW / 1000) + 60) * 1000 });
});

test("refused: another agent's, another issuer's, expired, another key's, tampered, alg none or HS256, ill-typed claims", async () => {
  const refused = async (token: string | Promise<string>, why: string) => assert.equal(verifyExecTicket(await token, publicKey, "agent-1", NOW), undefined, why);
  await refused(sign({ aud: "agent-2" }), "audience");
  await refused(sign({ iss: "someone" }), "issuer");
  await refused(sign({ exp: Math.floor(NOW / 1000) - 1 }), "expired");
  await refused(sign({ key: generateKeyPairSync("ed25519").privateKey }), "other key");
  const [h, p, s] = (await sign()).split(".");
  const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, "base64url").toString()), cmd: ["rm", "-rf", "/"] })).toString("base64url");
  await refused(`${h}.${forgedPayload}.${s}`, "payload changed after signing");
  const none = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
  await refused(`${none}.${p}.${s}`, "alg none");
  const hs = Buffer.from(JSON.stringify({ alg: "HS256" })).toString("base64url");
  const mac = createHmac("sha256", publicKey.export({ type: "spki", format: "pem" })).update(`${hs}.${p}`).digest("base64url");
  await refused(`${hs}.${p}.${mac}`, "HS256 with the public key as secret");
  await refused(sign({ payload: { ...claims, cmd: [] } }), "no command");
  await refused(sign({ payload: { ...claims, task: 7 } }), "task not a string");
  await refused("not.a.ticket", "garbage");
});

test("the gate: a ticket authenticates its principal with only exec on its app, and is taken once (no replay)", async () => {
  const gate = execTicketGate(publicKey, "agent-1", () => NOW);
  const token = await sign();
  const principal = gate.authenticate(`Bearer ${token}`);
  assert.equal(principal?.name, "alice");
  assert.deepEqual(principal?.grants, [{ resource: "gantry:tasks:exec", action: "create", path: "/shop/web" }]);
  assert.equal(gate.take(principal!.tokenId!)?.taskId, "shop_web.1");
  assert.equal(gate.take(principal!.tokenId!), undefined, "taken once");
  assert.equal(gate.authenticate(`Bearer ${token}`), undefined, "a used ticket no longer authenticates");
  assert.equal(gate.authenticate(`token=${await sign()}`), undefined, "only Bearer");
});

test("the public key must be Ed25519 PEM", () => {
  assert.equal(execTicketPublicKey(publicKey.export({ type: "spki", format: "pem" }).toString(), "f").asymmetricKeyType, "ed25519");
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }).toString();
  assert.throws(() => execTicketPublicKey(rsa, "--exec-key-file k"), /--exec-key-file k: an exec ticket key must be Ed25519, got rsa/);
  assert.throws(() => execTicketPublicKey("nope", "--exec-key-file k"), /--exec-key-file k: not a PEM public key/);
});
