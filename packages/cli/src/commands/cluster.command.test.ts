import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { runGantry } from "@gantry/test/support";

// The real `gantry cluster list` against a GANTRY_HOME holding two cluster files: one whose
// gateway answers /ping (a loopback HTTP server), one whose gateway is gone.

let gateway: Server;
let home: string;
let upUrl: string;
const DOWN_URL = "http://127.0.0.1:1";

before(async () => {
  gateway = createServer((request, response) => response.writeHead(request.url === "/ping" ? 200 : 404).end("pong"));
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  upUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  home = await mkdtemp(path.join(tmpdir(), "gantry-clusters-"));
  for (const [name, url] of [["up", upUrl], ["down", DOWN_URL]] as const) {
    await mkdir(path.join(home, name));
    await writeFile(path.join(home, name, "cluster.json"), JSON.stringify({ url, token: `secret-${name}` }));
  }
  await mkdir(path.join(home, "agent"));
});

after(async () => {
  await new Promise((resolve) => gateway?.close(resolve));
  await rm(home, { recursive: true, force: true });
});

const env = (gantryHome: string) => ({ ...process.env, GANTRY_HOME: gantryHome, GANTRY_URL: "", GANTRY_TOKEN: "", GANTRY_CLUSTER: "" });

describe("gantry cluster list", () => {
  test("every local cluster by name, its gateway and whether it answers /ping; never its token", async () => {
    const r = await runGantry(["cluster", "list"], env(home));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, ["NAME  URL" + " ".repeat(upUrl.length - 1) + "GATEWAY", `down  ${DOWN_URL.padEnd(upUrl.length + 2)}no answer`, `up    ${upUrl}  answers`, ""].join("\n"));
    const j = JSON.parse((await runGantry(["cluster", "list", "--json"], env(home))).stdout);
    assert.deepEqual(j, { clusters: [{ name: "down", url: DOWN_URL, answers: false }, { name: "up", url: upUrl, answers: true }] });
  });

  test("none: says so and how to start one; --json prints an empty list", async () => {
    const empty = path.join(home, "agent");
    assert.equal((await runGantry(["cluster", "list"], env(empty))).stdout, `no local clusters in ${empty} (start one with \`gantry up\`)\n`);
    assert.deepEqual(JSON.parse((await runGantry(["cluster", "ls", "--json"], env(empty))).stdout), { clusters: [] });
  });
});
