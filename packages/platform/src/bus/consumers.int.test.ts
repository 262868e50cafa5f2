import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, test } from "node:test";
import { PARKED_STREAM } from "@gantry/proto";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { jetstream, type JsMsg } from "@nats-io/jetstream";
import { infrastructureUrls } from "../config/index.ts";
import { GantryError } from "../errors/index.ts";
import { createLogger } from "../logging/index.ts";
import { createTestCluster, eventually, within, type TestCluster } from "../testing/index.ts";
import { connectBus, type Bus } from "./bus.ts";
import { jsonDecoder, runDurableConsumer, type DurableConsumerOptions } from "./consumers.ts";
import { listParkedMessages } from "./parked-messages.ts";
import { ParkedHeaders } from "./parked-stream.ts";
import { ensureStream } from "./streams.ts";

const KEY_HEADER = "Gantry-Task-Id";
const quiet = createLogger("consumers-test", { level: process.env.GANTRY_LOG_LEVEL ?? "silent" });

interface Body {
  key: string;
  n: number;
}
const label = (b: Body) => `${b.key}${b.n}`;

describe("durable consumer", () => {
  let cluster: TestCluster;
  let bus: Bus;
  let stream: string;
  const running: { controller: AbortController; done: Promise<void> }[] = [];

  beforeEach(async () => {
    cluster = createTestCluster();
    bus = await connectBus(infrastructureUrls().natsUrl, cluster.names, "consumers-test");
    stream = await ensureStream(bus, { name: "WORK", subjects: ["work.>"] });
  });

  afterEach(async () => {
    for (const r of running.splice(0)) {
      r.controller.abort();
      await within("a consumer to stop at cleanup", r.done.catch(() => {}), 10_000);
    }
    await cluster.cleanup(bus.nc);
    await bus.close();
  });

  /** Publishes one message per `key+n` label (e.g. "a0"), in order, with the key in a header. */
  async function publish(...labels: string[]): Promise<number[]> {
    const seqs: number[] = [];
    for (const l of labels) {
      const body: Body = { key: l.slice(0, 1), n: Number(l.slice(1)) };
      const h = natsHeaders();
      h.set(KEY_HEADER, body.key);
      const ack = await bus.js.publish(bus.names.subject(`work.${body.key}`), new TextEncoder().encode(JSON.stringify(body)), { headers: h });
      seqs.push(ack.seq);
    }
    return seqs;
  }

  function start(overrides: Partial<DurableConsumerOptions<Body>> & Pick<DurableConsumerOptions<Body>, "handler">): { controller: AbortController; done: Promise<void> } {
    const controller = new AbortController();
    const done = runDurableConsumer<Body>(bus, {
      stream,
      durable: "work",
      filterSubject: "work.>",
      decode: jsonDecoder,
      logger: quiet,
      orderingKey: (m: JsMsg) => m.headers?.get(KEY_HEADER),
      backoff: { initialMs: 20, maxMs: 200 },
      ...overrides,
      signal: controller.signal,
    });
    const r = { controller, done };
    running.push(r);
    return r;
  }

  async function stop(r: { controller: AbortController; done: Promise<void> }): Promise<void> {
    r.controller.abort();
    await within("the consumer to stop", r.done, 5_000);
  }

  /** Every message parked by `consumer`, in PARKED stream order. */
  async function parkedMessages(consumer = "work"): Promise<JsMsg[]> {
    const parkedStream = cluster.names.stream(PARKED_STREAM.name);
    const subject = cluster.names.subject(`parked.${consumer}`);
    const info = await bus.jsm.streams.info(parkedStream, { subjects_filter: subject });
    const count = info.state.subjects?.[subject] ?? 0;
    if (count === 0) return [];
    const reader = await jetstream(bus.nc).consumers.get(parkedStream, { filter_subjects: subject });
    const out: JsMsg[] = [];
    for await (const m of await reader.fetch({ max_messages: count, expires: 5_000 })) {
      out.push(m);
      if (out.length === count) break;
    }
    await reader.delete().catch(() => {});
    return out;
  }

  test("a transient failure holds back every later message until it succeeds; all handled once, in order", async () => {
    await publish("a0", "a1", "b0", "a2", "c0", "b1", "a3", "c1");
    const handled: string[] = [];
    let failures = 0;
    const handledWhileFailing: string[] = [];
    start({
      handler: async (b) => {
        if (label(b) === "a2" && failures < 3) {
          failures++;
          handledWhileFailing.push(...handled.filter((l) => !["a0", "a1", "b0"].includes(l)));
          throw new Error("database unavailable"); // transient: retried in place, however often
        }
        handled.push(label(b));
      },
      maxAttempts: 1, // a transient failure never counts towards parking
    });
    await eventually(() => `all 8 handled (got ${handled.join(",")})`, () => handled.length >= 8, 15_000);
    // Give a stray redelivery time to show up.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(failures, 3);
    assert.deepEqual(handledWhileFailing, [], "nothing after a2 is handled while a2 fails");
    assert.deepEqual(handled, ["a0", "a1", "b0", "a2", "c0", "b1", "a3", "c1"], "each exactly once, in publish order");
    assert.deepEqual(await parkedMessages(), []);
  });

  test("a permanent failure is parked after maxAttempts, its key's later messages are parked behind it, other keys go on; nothing lost", async () => {
    const lines: string[] = [];
    const logger = createLogger("consumers-test", {
      level: "error",
      destination: new Writable({ write: (chunk, _enc, cb) => (lines.push(...String(chunk).trim().split("\n")), cb()) }),
    });
    const labels = ["a0", "b0", "a1", "b1", "a2", "d0", "c0", "a3", "b2"];
    const seqs = await publish(...labels);
    const seqOf = (l: string) => seqs[labels.indexOf(l)]!;
    // And one that can never be decoded (key e), last.
    const h = natsHeaders();
    h.set(KEY_HEADER, "e");
    const garbage = await bus.js.publish(bus.names.subject("work.e"), new TextEncoder().encode("not json"), { headers: h });
    const handled: string[] = [];
    let a1Attempts = 0;
    start({
      logger,
      maxAttempts: 3,
      handler: async (b) => {
        if (label(b) === "a1") {
          a1Attempts++;
          throw new GantryError("InvalidArgument", "instance a1 does not exist\nat all");
        }
        if (label(b) === "d0" && handled.filter((l) => l === "d0-failed").length < 2) {
          handled.push("d0-failed");
          throw new GantryError("Unavailable", "try again"); // retryable GantryError: transient
        }
        handled.push(label(b));
      },
    });
    const parked = await eventually("4 messages parked", async () => {
      const p = await parkedMessages();
      return p.length >= 4 ? p : undefined;
    }, 15_000);
    await eventually(() => `the other keys handled (got ${handled.join(",")})`, () => handled.filter((l) => !l.endsWith("failed")).length >= 6, 15_000);
    await new Promise((r) => setTimeout(r, 300));

    assert.equal(a1Attempts, 3, "a1 tried maxAttempts times, then parked");
    assert.deepEqual(handled.filter((l) => !l.endsWith("failed")), ["a0", "b0", "b1", "d0", "c0", "b2"], "other keys handled once, in order");
    const parkedSeqs = parked.map((m) => Number(m.headers?.get(ParkedHeaders.seq)));
    assert.deepEqual(parkedSeqs, [seqOf("a1"), seqOf("a2"), seqOf("a3"), garbage.seq], "parked in stream order");
    assert.equal(handled.filter((l) => !l.endsWith("failed")).length + parked.length, labels.length + 1, "handled + parked = published");

    const [root, behind1, behind2, undecodable] = parked;
    const header = (m: JsMsg | undefined, k: string) => m?.headers?.get(k);
    assert.equal(header(root, ParkedHeaders.consumer), "work");
    assert.equal(header(root, ParkedHeaders.stream), stream);
    assert.equal(header(root, ParkedHeaders.subject), cluster.names.subject("work.a"));
    assert.equal(header(root, ParkedHeaders.reason), "instance a1 does not exist at all");
    assert.equal(header(root, ParkedHeaders.attempts), "3");
    assert.equal(header(root, ParkedHeaders.key), "a");
    assert.ok(Math.abs(Date.parse(header(root, ParkedHeaders.parkedAt) ?? "") - Date.now()) < 60_000, "parkedAt is now");
    assert.equal(header(root, "Nats-Msg-Id"), `${stream}:${seqOf("a1")}:work`, "msg id from (stream, seq, consumer)");
    assert.equal(header(root, KEY_HEADER), "a", "the original headers travel along");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(root!.data)), { key: "a", n: 1 }, "the original payload");
    assert.equal(root!.subject, cluster.names.subject("parked.work"));
    for (const m of [behind1, behind2]) {
      assert.equal(header(m, ParkedHeaders.reason), `held back behind parked message ${stream}#${seqOf("a1")}`);
      assert.equal(header(m, ParkedHeaders.attempts), "0");
      assert.equal(header(m, ParkedHeaders.key), "a");
    }
    assert.match(header(undecodable, ParkedHeaders.reason) ?? "", /^cannot decode: /);
    assert.equal(header(undecodable, ParkedHeaders.attempts), "3");

    const errorLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 50 && l.seq === seqOf("a1"));
    assert.equal(errorLines.length, 1, "the park is logged once at error level");
    assert.deepEqual(
      { consumer: errorLines[0]!.consumer, stream: errorLines[0]!.stream, key: errorLines[0]!.key, attempts: errorLines[0]!.attempts, reason: errorLines[0]!.reason },
      { consumer: "work", stream, key: "a", attempts: 3, reason: "instance a1 does not exist at all" },
    );

    const report = await listParkedMessages(bus, { limit: 3 });
    assert.equal(report.total, 4);
    assert.deepEqual(report.byConsumer, [{ consumer: "work", subject: cluster.names.subject("parked.work"), count: 4 }]);
    assert.deepEqual(report.recent.map((r) => [r.seq, r.key, r.attempts]), [[garbage.seq, "e", 3], [seqOf("a3"), "a", 0], [seqOf("a2"), "a", 0]], "newest first, limited");
    const a3 = report.recent[1]!;
    assert.equal(a3.consumer, "work");
    assert.equal(a3.stream, stream);
    assert.equal(a3.subject, cluster.names.subject("work.a"));
    assert.equal(a3.reason, `held back behind parked message ${stream}#${seqOf("a1")}`);
    assert.ok(a3.parkedAt instanceof Date && !Number.isNaN(a3.parkedAt.getTime()));
  });

  test("a consumer restarted after parking keeps holding back that key", async () => {
    const [a0] = await publish("a0");
    const first = start({ maxAttempts: 1, handler: async () => Promise.reject(new GantryError("FailedPrecondition", "cannot apply")) });
    await eventually("a0 parked", async () => (await parkedMessages()).length === 1, 10_000);
    await stop(first);

    await publish("a1", "b0", "a2");
    const handled: string[] = [];
    start({ handler: async (b) => void handled.push(label(b)) });
    const parked = await eventually("a1 and a2 parked behind a0", async () => {
      const p = await parkedMessages();
      return p.length >= 3 ? p : undefined;
    }, 10_000);
    await eventually("b0 handled", () => handled.includes("b0"), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(handled, ["b0"], "a1 and a2 would succeed, but are held back behind a0");
    assert.deepEqual(
      parked.slice(1).map((m) => m.headers?.get(ParkedHeaders.reason)),
      [`held back behind parked message ${stream}#${a0}`, `held back behind parked message ${stream}#${a0}`],
    );
  });

  test("aborting while a message is retried leaves it unacknowledged, and the next consumer on the durable gets it first", async () => {
    await publish("a0", "a1", "b0");
    let attempts = 0;
    const handledByFirst: string[] = [];
    const first = start({
      // After the second attempt the pause is 2 s: stopping must not wait for it.
      backoff: { initialMs: 1_000, maxMs: 60_000 },
      handler: async (b) => {
        if (label(b) === "a0") {
          attempts++;
          throw new Error("downstream unavailable");
        }
        handledByFirst.push(label(b));
      },
    });
    await eventually("a0 retried twice", () => attempts >= 2, 10_000);
    first.controller.abort();
    await within("the consumer to stop promptly while a0 waits for its next attempt", first.done, 1_000);
    const attemptsAtStop = attempts;
    assert.deepEqual(handledByFirst, [], "nothing after a0 handled while it was retried");
    const info = await bus.jsm.consumers.info(stream, cluster.names.consumer("work"));
    assert.equal(info.ack_floor.stream_seq, 0, "a0 not acknowledged");
    assert.deepEqual(await parkedMessages(), [], "a0 not parked");

    const handled: string[] = [];
    start({ handler: async (b) => void handled.push(label(b)) });
    // Well inside the 30 s ack deadline: the new consumer does not wait for it to expire.
    await eventually(() => `a0, a1, b0 handled by the next consumer (got ${handled.join(",")})`, () => handled.length >= 3, 8_000);
    assert.deepEqual(handled, ["a0", "a1", "b0"]);
    assert.equal(attempts, attemptsAtStop, "the first consumer stopped retrying");
  });

  test("a delivery that never reached the consumer is not overtaken by later ones", async () => {
    await publish("a0", "a1", "a2");
    const handled: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    start({
      batch: 1,
      handler: async (b) => {
        if (label(b) === "a0") await released;
        handled.push(label(b));
      },
    });
    await eventually("a0 delivered", async () => (await bus.jsm.consumers.info(stream, cluster.names.consumer("work"))).num_ack_pending === 1, 5_000);
    // Another client takes the next delivery (as a delivery lost in a reconnect would be) and never acks it.
    const stolen = await (await bus.js.consumers.get(stream, cluster.names.consumer("work"))).next({ expires: 2_000 });
    assert.equal(stolen?.seq, 2);
    release();
    await eventually(() => `a0, a1, a2 handled (got ${handled.join(",")})`, () => handled.length >= 3, 8_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(handled, ["a0", "a1", "a2"], "a1 comes back before a2, well inside its ack deadline");
  });

  test("a handler slower than the ack deadline still handles each message once", async () => {
    await publish("a0", "a1", "a2", "a3");
    const handled: string[] = [];
    start({
      ackWaitMs: 1_000,
      handler: async (b) => {
        await new Promise((r) => setTimeout(r, 1_300));
        handled.push(label(b));
      },
    });
    await eventually(() => `all 4 handled (got ${handled.join(",")})`, () => handled.length >= 4, 20_000);
    await new Promise((r) => setTimeout(r, 2_500));
    assert.deepEqual(handled, ["a0", "a1", "a2", "a3"]);
    const info = await bus.jsm.consumers.info(stream, cluster.names.consumer("work"));
    assert.ok(info.delivered.consumer_seq > 4, `the server did redeliver (${info.delivered.consumer_seq} deliveries of 4 messages)`);
    assert.equal(info.num_ack_pending, 0);
  });
});
