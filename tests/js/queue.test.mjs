// The door's queue of scans, in node: no browser, a memory store, a fake clock, a fake server.
import assert from "node:assert/strict";
import { test } from "node:test";

import { RateLimitedError, RetryableError } from "../../static/js/scanner/api.js";
import {
  createQueue,
  MAX_RETRY_MS,
  nextBackoff,
  requestBody,
  storedScan,
} from "../../static/js/scanner/queue.js";
import { memoryStore } from "../../static/js/scanner/store.js";

const NOW = "2026-05-01T18:00:00.000Z";

/** A RetryableError as api.js throws it when the answer did not come in time. */
function timedOut() {
  return Object.assign(new RetryableError("timed out"), { timedOut: true });
}

/**
 * A queue wired to fakes; `answers` are what the server does, one per send, in order (an Error
 * is thrown, a function is called with the body). `decide(scan)`: the page's offline decision.
 */
function harness({
  answers = [],
  store = memoryStore(),
  closed = () => "",
  online = () => true,
  decide = undefined,
} = {}) {
  const sent = [];
  const shown = [];
  const answered = [];
  const synced = [];
  const unanswered = [];
  const timers = [];
  let onlineCalls = 0;
  let ids = 0;
  let clock = Date.parse(NOW);
  const queue = createQueue({
    store,
    key: "q",
    send: async (body) => {
      sent.push(body);
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return typeof next === "function" ? next(body) : next;
    },
    isClosed: closed,
    isOnline: online,
    show: (kind, message) => shown.push([kind, message]),
    strings: { sending: "Sending…", queued: "Saved; will send" },
    onAnswer: (answer, scan) => answered.push([answer, scan]),
    onSynced: (answer, scan) => synced.push([answer, scan]),
    ...(decide
      ? {
          onUnanswered: async (scan) => {
            unanswered.push(scan.client_scan_id);
            return decide(scan);
          },
        }
      : {}),
    onOnline: () => onlineCalls++,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => {},
    now: () => new Date(clock),
    scanId: () => "scan-" + ++ids,
  });
  return {
    queue,
    sent,
    shown,
    answered,
    synced,
    unanswered,
    timers,
    store,
    onlineCalls: () => onlineCalls,
    tick: (ms) => (clock += ms),
    stored: () => store.get("q"),
  };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

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
  assert.deepEqual(await h.stored(), []);
});

test("a network failure the phone cannot judge keeps the scan and retries it with the same id", async () => {
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
  assert.equal(h.answered.length, 1, "an undecided scan gets its verdict from the server");
  assert.equal(h.onlineCalls(), 1, "the send that went through says the connection is back");
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
  const h = harness({
    answers: [new RateLimitedError(120, "Wait 2 minutes"), { result: "ok" }],
    decide: () => "admitted",
  });
  h.queue.add({ code: "A" });
  await settle();
  assert.equal(h.queue.size(), 1);
  assert.deepEqual(h.shown.at(-1), ["stop", "Wait 2 minutes"]);
  assert.deepEqual(h.unanswered, [], "the server answered: nothing is decided on the phone");
  assert.equal(h.timers.at(-1).ms, 120000);
  h.timers.at(-1).fn();
  await settle();
  assert.equal(h.queue.size(), 0);
  assert.equal(h.answered.length, 1);
});

test("a closed door link sends nothing more and keeps the scans", async () => {
  let closed = "";
  const denied = () => {
    closed = "This door link was switched off"; // what api.js records on a 403
    throw Object.assign(new Error(closed), { status: 403 });
  };
  const h = harness({ answers: [denied], closed: () => closed });
  h.queue.add({ code: "A" });
  await settle();
  h.queue.add({ code: "B" });
  await settle();
  assert.equal(h.sent.length, 1);
  assert.equal(h.queue.size(), 2);
  assert.deepEqual(h.shown.at(-1), ["stop", "This door link was switched off"]);
});

test("the stored queue holds codes, ticket ids, scan ids and flags, never a name", async () => {
  const h = harness({ answers: [new RetryableError("offline")], decide: () => "admitted" });
  h.queue.add({ code: "A", name: "Aidê Ñúñez" });
  await settle();
  const stored = await h.stored();
  assert.deepEqual(stored, [{ client_scan_id: "scan-1", code: "A", scanned_at: NOW, offline: true }]);
  assert.doesNotMatch(JSON.stringify(stored), /Aidê/);
  assert.deepEqual(storedScan({ client_scan_id: "x", ticket_id: 7, scanned_at: "t", name: "N", meta: { t0: 1 } }), {
    client_scan_id: "x",
    ticket_id: 7,
    scanned_at: "t",
  });
});

test("scans saved before a reload are sent with their first ids, and not judged again", async () => {
  const store = memoryStore();
  await store.set("q", [
    { client_scan_id: "old-1", code: "A", scanned_at: "2026-05-01T17:00:00.000Z" },
    { client_scan_id: "old-2", code: "B", scanned_at: "2026-05-01T17:01:00.000Z", offline: true },
  ]);
  const h = harness({
    answers: [new RetryableError("offline"), { result: "ok" }, { result: "ok" }],
    store,
    decide: () => "refused",
  });
  await h.queue.ready;
  assert.equal(h.queue.size(), 2);
  h.queue.pump();
  await settle();
  assert.deepEqual(h.unanswered, [], "a scan from before the reload is never dropped by the phone");
  h.timers.at(-1).fn();
  await settle();
  assert.deepEqual(h.sent.slice(1), [
    { code: "A", ticket_id: undefined, client_scan_id: "old-1", scanned_at: "2026-05-01T17:00:00.000Z" },
    {
      code: "B",
      ticket_id: undefined,
      client_scan_id: "old-2",
      scanned_at: "2026-05-01T17:01:00.000Z",
      offline: true,
      sent_at: NOW,
    },
  ]);
  assert.equal(h.answered.length, 1);
  assert.equal(h.synced.length, 1);
  assert.equal(h.queue.size(), 0);
});

test("a damaged stored queue starts empty", async () => {
  for (const value of ["{not json", { q: 1 }, [null, 5, { code: "no id" }]]) {
    const store = memoryStore();
    await store.set("q", value);
    const h = harness({ store });
    await h.queue.ready;
    assert.equal(h.queue.size(), 0, JSON.stringify(value));
  }
});

test("scans made before the stored queue was read go after it", async () => {
  const store = memoryStore();
  await store.set("q", [{ client_scan_id: "old-1", code: "A", scanned_at: NOW }]);
  const h = harness({ store, answers: [{ result: "ok" }, { result: "ok" }] });
  h.queue.add({ code: "B" }); // before ready
  await settle();
  assert.deepEqual(h.sent.map((s) => s.client_scan_id), ["old-1", "scan-1"]);
});

test("a new scan says it is being checked, unless the connection is already down", async () => {
  const h = harness({ answers: [new RetryableError("offline"), new RetryableError("offline")] });
  h.queue.add({ code: "A" });
  assert.deepEqual(h.shown[0], ["wait", "Sending…"]);
  await settle();
  h.queue.add({ code: "B" }); // still offline: no "Checking…", the phone decides (here: it cannot)
  await settle();
  assert.ok(!h.shown.slice(1).some(([, message]) => message === "Sending…"));
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

// --- offline: decided on the phone, synced later ------------------------------------------------

test("a scan whose answer times out is decided offline at once; an admission stays queued", async () => {
  const h = harness({ answers: [timedOut()], decide: () => "admitted" });
  const item = h.queue.add({ code: "A" });
  await settle();
  assert.deepEqual(h.unanswered, ["scan-1"]);
  assert.equal(item.offline, true);
  assert.equal(h.queue.size(), 1);
  assert.equal(h.queue.waiting(), 1);
  assert.equal(h.queue.isDown(), true);
  assert.deepEqual(h.answered, []);
  assert.deepEqual(await h.stored(), [{ client_scan_id: "scan-1", code: "A", scanned_at: NOW, offline: true }]);
});

test("an offline refusal is shown by the page and leaves the queue", async () => {
  const h = harness({ answers: [new RetryableError("offline")], decide: () => "refused" });
  h.queue.add({ code: "FORGED" });
  await settle();
  assert.deepEqual(h.unanswered, ["scan-1"]);
  assert.equal(h.queue.size(), 0);
  assert.deepEqual(await h.stored(), []);
  h.timers.at(-1).fn(); // the retry finds nothing to send
  await settle();
  assert.equal(h.sent.length, 1);
});

test("an offline admission is synced later with offline and sent_at, the same scan id", async () => {
  const h = harness({
    answers: [new RetryableError("offline"), { result: "ok", ok: true, scan_id: 9, conflict: false }],
    decide: () => "admitted",
  });
  h.queue.add({ code: "A" });
  await settle();
  h.tick(90_000); // a minute and a half later the wifi is back
  h.timers.at(-1).fn();
  await settle();
  assert.deepEqual(h.sent[1], {
    code: "A",
    ticket_id: undefined,
    client_scan_id: "scan-1",
    scanned_at: NOW,
    offline: true,
    sent_at: "2026-05-01T18:01:30.000Z",
  });
  assert.equal(h.synced.length, 1, "a synced admission is not a new verdict");
  assert.deepEqual(h.answered, []);
  assert.equal(h.queue.size(), 0);
  assert.equal(h.queue.isDown(), false);
  assert.equal(h.onlineCalls(), 1);
});

test("a conflict and a refusal of a synced admission go to onSynced, not the verdict", async () => {
  const refused = Object.assign(new Error("Bad"), { status: 400 });
  let online = false;
  const h = harness({
    answers: [
      { result: "already_checked_in", ok: false, conflict: true, message: "Already in" },
      refused,
    ],
    decide: () => "admitted",
    online: () => online,
  });
  h.queue.add({ code: "A" });
  h.queue.add({ code: "B" });
  await settle();
  assert.deepEqual(h.unanswered, ["scan-1", "scan-2"], "offline by the browser: decided at once");
  assert.equal(h.sent.length, 0, "nothing is sent while the browser knows it is offline");
  const shownBefore = h.shown.length;
  online = true;
  h.timers.at(-1).fn();
  await settle();
  assert.equal(h.synced[0][0].conflict, true);
  assert.equal(h.synced[1][0].error, refused);
  assert.equal(h.shown.length, shownBefore);
  assert.equal(h.queue.size(), 0);
});

test("while the connection is down, new scans are decided without waiting for a request", async () => {
  let release;
  const hanging = new Promise((resolve) => (release = resolve));
  const h = harness({ answers: [timedOut(), () => hanging], decide: () => "admitted" });
  h.queue.add({ code: "A" });
  await settle();
  h.timers.at(-1).fn(); // the retry of A hangs (a black hole)
  await settle();
  h.queue.add({ code: "B" });
  h.queue.add({ code: "C" });
  await settle();
  assert.deepEqual(h.unanswered, ["scan-1", "scan-2", "scan-3"]);
  assert.equal(h.sent.length, 2, "B and C were not sent to be decided");
  release({ result: "ok", ok: true });
  await settle();
});

test("sync after sync adds nothing: a lost answer is sent again as the same scan", async () => {
  const server = new Map(); // client_scan_id → answer: the server is idempotent by scan id
  const admit = (body) => {
    if (!server.has(body.client_scan_id)) server.set(body.client_scan_id, { result: "ok", ok: true, replay: false });
    else server.get(body.client_scan_id).replay = true;
    return { ...server.get(body.client_scan_id) };
  };
  const lostAnswer = (body) => {
    admit(body);
    throw timedOut(); // the server admitted; its answer never came
  };
  const h = harness({
    answers: [new RetryableError("offline"), lostAnswer, admit],
    decide: () => "admitted",
  });
  h.queue.add({ code: "A" });
  await settle();
  h.timers.at(-1).fn();
  await settle();
  assert.equal(h.queue.size(), 1);
  h.timers.at(-1).fn();
  await settle();
  assert.equal(server.size, 1);
  assert.equal(h.synced[0][0].replay, true);
  assert.deepEqual(new Set(h.sent.map((s) => s.client_scan_id)), new Set(["scan-1"]));
  await h.queue.pump(); // nothing left: nothing is sent again
  assert.equal(h.sent.length, 3);
  assert.equal(h.synced.length, 1);
});

test("undo before the sync takes the admission out of the queue; in flight it cannot", async () => {
  let release;
  const h = harness({
    answers: [new RetryableError("offline"), () => new Promise((resolve) => (release = resolve))],
    decide: () => "admitted",
  });
  const a = h.queue.add({ code: "A" });
  await settle();
  assert.equal(h.queue.remove(a.client_scan_id), "removed");
  assert.equal(h.queue.size(), 0);
  await settle();
  assert.deepEqual(await h.stored(), []);
  assert.equal(h.queue.remove(a.client_scan_id), "gone");
  h.timers.at(-1).fn();
  await settle();
  assert.equal(h.sent.length, 1, "the undone admission is never sent");

  const b = h.queue.add({ code: "B" }); // still down: decided at once, then sent
  await settle();
  assert.equal(h.queue.remove(b.client_scan_id), "in_flight");
  release({ result: "ok", ok: true, scan_id: 4 });
  await settle();
  assert.equal(h.synced.length, 1);
});

test("the same scan again carries its id, its time and confirm_day", async () => {
  const h = harness({ answers: [{ result: "wrong_day", ok: false }, { result: "ok", ok: true }] });
  const first = h.queue.add({ code: "A" });
  await settle();
  h.tick(5000);
  h.queue.add({ code: "A", client_scan_id: first.client_scan_id, scanned_at: first.scanned_at, confirm_day: true });
  await settle();
  assert.deepEqual(h.sent[1], {
    code: "A",
    ticket_id: undefined,
    client_scan_id: "scan-1",
    scanned_at: NOW,
    confirm_day: true,
  });
  assert.deepEqual(h.answered.map(([a]) => a.result), ["wrong_day", "ok"]);
});

test("an admission the page already made offline is only synced, never judged again", async () => {
  const h = harness({ answers: [{ result: "ok", ok: true }], decide: () => "refused" });
  h.queue.add({ code: "A", client_scan_id: "s-9", scanned_at: NOW, offline: true, confirm_day: true });
  await settle();
  assert.deepEqual(h.unanswered, []);
  assert.equal(h.sent[0].offline, true);
  assert.equal(h.sent[0].confirm_day, true);
  assert.equal(h.synced.length, 1);
});

test("the page tells the queue when the connection goes and comes back", async () => {
  const h = harness({ answers: [{ result: "ok", ok: true }], decide: () => "admitted" });
  await h.queue.ready;
  h.queue.disconnected(); // a snapshot request failed, or the browser's offline event
  assert.equal(h.queue.isDown(), true);
  h.queue.add({ code: "A" });
  await settle();
  assert.deepEqual(h.unanswered, ["scan-1"]);
  await h.queue.reconnected();
  await settle();
  assert.equal(h.queue.isDown(), false);
  assert.equal(h.onlineCalls(), 1);
  assert.equal(h.queue.size(), 0);
});

test("the request body adds offline, sent_at and confirm_day only when they apply", () => {
  const plain = { client_scan_id: "s", ticket_id: 5, scanned_at: NOW };
  assert.deepEqual(requestBody(plain, "T"), { code: undefined, ticket_id: 5, client_scan_id: "s", scanned_at: NOW });
  assert.deepEqual(requestBody({ ...plain, offline: true, confirm_day: true }, "T"), {
    code: undefined,
    ticket_id: 5,
    client_scan_id: "s",
    scanned_at: NOW,
    offline: true,
    sent_at: "T",
    confirm_day: true,
  });
});
