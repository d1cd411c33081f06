// The door's queue of scans, in node: no browser, a fake storage, a fake clock, a fake server.
import assert from "node:assert/strict";
import { test } from "node:test";

import { RateLimitedError, RetryableError } from "../../static/js/scanner/api.js";
import { createQueue, MAX_RETRY_MS, nextBackoff, storedScan } from "../../static/js/scanner/queue.js";

function memoryStorage(initial = {}) {
  const data = { ...initial };
  return { getItem: (k) => (k in data ? data[k] : null), setItem: (k, v) => (data[k] = String(v)), data };
}

/** A queue wired to fakes; `answers` are what the server does, one per send, in order. */
function harness({ answers = [], storage = memoryStorage(), closed = () => "" } = {}) {
  const sent = [];
  const shown = [];
  const answered = [];
  const timers = [];
  let ids = 0;
  const queue = createQueue({
    storage,
    key: "q",
    send: async (scan) => {
      sent.push(scan);
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next;
    },
    isClosed: closed,
    show: (kind, message) => shown.push([kind, message]),
    strings: { sending: "Sending…", queued: "Saved; will send" },
    onAnswer: (answer, scan) => answered.push([answer, scan]),
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => {},
    now: () => new Date("2026-05-01T18:00:00Z"),
    scanId: () => "scan-" + ++ids,
  });
  return { queue, sent, shown, answered, timers, storage };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("scans are sent in order, each with its own id, and leave the queue when answered", async () => {
  const h = harness({ answers: [{ result: "ok" }, { result: "already_checked_in" }] });
  h.queue.add({ code: "A" });
  h.queue.add({ code: "B" });
  await settle();
  assert.deepEqual(
    h.sent.map((s) => [s.code, s.client_scan_id]),
    [
      ["A", "scan-1"],
      ["B", "scan-2"],
    ],
  );
  assert.deepEqual(h.answered.map(([a]) => a.result), ["ok", "already_checked_in"]);
  assert.equal(h.queue.size(), 0);
  assert.equal(h.storage.data.q, "[]");
});

test("a network failure keeps the scan and retries it with the same id, backing off", async () => {
  const h = harness({ answers: [new RetryableError("offline"), new RetryableError("offline"), { result: "ok" }] });
  h.queue.add({ code: "A" });
  await settle();
  assert.equal(h.queue.size(), 1);
  assert.equal(h.queue.waiting(), 1);
  assert.deepEqual(h.shown.at(-1), ["wait", "Saved; will send"]);
  assert.equal(h.timers.at(-1).ms, 1000);
  h.timers.at(-1).fn();
  await settle();
  assert.equal(h.timers.at(-1).ms, 2000);
  h.timers.at(-1).fn();
  await settle();
  assert.deepEqual(h.sent.map((s) => s.client_scan_id), ["scan-1", "scan-1", "scan-1"]);
  assert.equal(h.queue.size(), 0);
  assert.equal(h.queue.waiting(), 0);
  assert.equal(h.answered.length, 1);
});

test("the back-off doubles up to thirty seconds", () => {
  assert.equal(nextBackoff(0), 1000);
  assert.equal(nextBackoff(1000), 2000);
  assert.equal(nextBackoff(16000), MAX_RETRY_MS);
  assert.equal(nextBackoff(MAX_RETRY_MS), MAX_RETRY_MS);
});

test("a refusal (4xx) drops the scan, shows why, and the next scan still goes", async () => {
  const refused = Object.assign(new Error("Not a valid request"), { status: 400 });
  const h = harness({ answers: [refused, { result: "ok" }] });
  h.queue.add({ code: "A" });
  h.queue.add({ code: "B" });
  await settle();
  assert.ok(h.shown.some(([kind, message]) => kind === "stop" && message === "Not a valid request"));
  assert.deepEqual(h.answered.map(([, scan]) => scan.code), ["B"]);
  assert.equal(h.queue.size(), 0);
});

test("a rate limit keeps the scan and waits as long as the server says", async () => {
  const h = harness({ answers: [new RateLimitedError(120, "Wait 2 minutes"), { result: "ok" }] });
  h.queue.add({ code: "A" });
  await settle();
  assert.equal(h.queue.size(), 1);
  assert.deepEqual(h.shown.at(-1), ["stop", "Wait 2 minutes"]);
  assert.equal(h.timers.at(-1).ms, 120000);
  h.timers.at(-1).fn();
  await settle();
  assert.equal(h.queue.size(), 0);
});

test("a closed door link sends nothing more and keeps the scans", async () => {
  let closed = "";
  const denied = Object.assign(new Error("This door link was switched off"), { status: 403 });
  const h = harness({ answers: [denied], closed: () => closed });
  h.queue.add({ code: "A" });
  closed = "This door link was switched off"; // what api.js records on a 403
  await settle();
  h.queue.add({ code: "B" });
  await settle();
  assert.equal(h.sent.length, 1);
  assert.equal(h.queue.size(), 2);
  assert.deepEqual(h.shown.at(-1), ["stop", "This door link was switched off"]);
});

test("the stored queue holds codes, ticket ids and scan ids, never a name", async () => {
  const h = harness({ answers: [new RetryableError("offline")] });
  h.queue.add({ code: "A", name: "Aidê Ñúñez" });
  await settle();
  const stored = JSON.parse(h.storage.data.q);
  assert.deepEqual(stored, [{ client_scan_id: "scan-1", code: "A", scanned_at: "2026-05-01T18:00:00.000Z" }]);
  assert.doesNotMatch(h.storage.data.q, /Aidê/);
  assert.deepEqual(storedScan({ client_scan_id: "x", ticket_id: 7, scanned_at: "t", name: "N" }), {
    client_scan_id: "x",
    ticket_id: 7,
    scanned_at: "t",
  });
});

test("scans saved before a reload are sent with their first ids", async () => {
  const saved = [{ client_scan_id: "old-1", code: "A", scanned_at: "2026-05-01T17:00:00.000Z" }];
  const h = harness({ answers: [{ result: "ok" }], storage: memoryStorage({ q: JSON.stringify(saved) }) });
  assert.equal(h.queue.size(), 1);
  h.queue.pump();
  await settle();
  assert.deepEqual(h.sent, [{ code: "A", ticket_id: undefined, client_scan_id: "old-1", scanned_at: "2026-05-01T17:00:00.000Z" }]);
  assert.equal(h.queue.size(), 0);
});

test("a damaged stored queue starts empty", () => {
  const h = harness({ storage: memoryStorage({ q: "{not json" }) });
  assert.equal(h.queue.size(), 0);
});

test("a new scan says it is being checked, unless the connection is already down", async () => {
  const h = harness({ answers: [new RetryableError("offline")] });
  h.queue.add({ code: "A" });
  assert.deepEqual(h.shown[0], ["wait", "Sending…"]);
  await settle();
  const before = h.shown.length;
  h.queue.add({ code: "B" }); // still offline: the "saved" verdict stays
  assert.equal(h.shown.length, before);
  assert.equal(h.queue.waiting(), 2);
});

test("a second pump while one is sending sends nothing twice", async () => {
  const h = harness({ answers: [{ result: "ok" }] });
  h.queue.add({ code: "A" });
  h.queue.pump(); // the "online" event, while the first send is in flight
  await settle();
  assert.equal(h.sent.length, 1);
  assert.equal(h.answered.length, 1);
});
