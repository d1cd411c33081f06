// The door's snapshot and the verdicts the phone gives offline, in node: a memory store, a fake
// server, real Ed25519 codes signed here (Node's WebCrypto) for the end-to-end verdicts.
import assert from "node:assert/strict";
import { test } from "node:test";

import { judgeOffline, offlineView } from "../../static/js/scanner/judge.js";
import { createSnapshot, OFFLINE_VERDICTS, offlineVerdict, outsideWindow } from "../../static/js/scanner/snapshot.js";
import { localKey, memoryStore, snapshotKey } from "../../static/js/scanner/store.js";
import { createVerifier } from "../../static/js/scanner/ticket.js";

const NOW = Date.parse("2026-12-10T03:00:00Z");
const WINDOW = { opens_at: "2026-12-10T01:00:00Z", closes_at: "2026-12-10T10:00:00Z", day: "Thu Dec 10" };
const ticket = (ticketId, fingerprint = "a1b2c3d4", eventId = 12) => ({ eventId, ticketId, fingerprint });
const entry = (state = "valid", checkedIn = 0, fp = "a1b2c3d4") => ({ fp, state, in: checkedIn });

/** The verdict on `t` against `e` (defaults: a valid ticket, inside the window, not in). */
function verdict(t, e, more = {}) {
  return offlineVerdict({ ticket: t, eventId: 12, entry: e, window: WINDOW, now: NOW, ...more });
}

// --- offlineVerdict: one test per verdict -------------------------------------------------------

test("ok: a signed ticket of this event, valid, not in, inside the window", () => {
  assert.deepEqual(verdict(ticket(401), entry()), { verdict: "ok" });
});

test("in_here: this phone admitted it offline, with the time", () => {
  const local = { at: NOW - 60_000 };
  assert.deepEqual(verdict(ticket(401), entry(), { localAdmission: local }), { verdict: "in_here", at: NOW - 60_000 });
  // This phone's admission is the better answer even once the server has it.
  assert.equal(verdict(ticket(401), entry("valid", 1765330000), { localAdmission: local }).verdict, "in_here");
});

test("in_before: in by the snapshot (before the connection dropped), with the time", () => {
  assert.deepEqual(verdict(ticket(403), entry("valid", 1765330000)), { verdict: "in_before", at: 1765330000_000 });
});

test("cancelled: a voided ticket or a cancelled RSVP; replaced: its fingerprint differs", () => {
  assert.deepEqual(verdict(ticket(402), entry("void")), { verdict: "cancelled", replaced: false });
  assert.deepEqual(verdict(ticket(402), entry("cancelled")), { verdict: "cancelled", replaced: false });
  assert.deepEqual(verdict(ticket(401, "99ff0011"), entry()), { verdict: "cancelled", replaced: true });
  // A ticket id from a name search has no fingerprint to compare.
  assert.deepEqual(verdict(ticket(401, null), entry()), { verdict: "ok" });
});

test("other_event: a good signature, another event's ticket", () => {
  assert.deepEqual(verdict(ticket(401, "a1b2c3d4", 13), entry()), { verdict: "other_event" });
});

test("invalid: not a code, a failed signature (both null), or a ticket id the event lacks", () => {
  assert.deepEqual(verdict(null, undefined), { verdict: "invalid" });
  assert.deepEqual(verdict(ticket(999), undefined), { verdict: "invalid" });
});

test("wrong_day: outside the window, with the day; a confirmed scan goes through", () => {
  for (const now of [Date.parse(WINDOW.opens_at) - 1, Date.parse(WINDOW.closes_at)]) {
    assert.deepEqual(verdict(ticket(401), entry(), { now }), { verdict: "wrong_day", day: "Thu Dec 10" });
    assert.deepEqual(verdict(ticket(401), entry(), { now, confirmDay: true }), { verdict: "ok" });
  }
  assert.equal(outsideWindow(WINDOW, Date.parse(WINDOW.opens_at)), false, "opens_at <= now");
  assert.equal(outsideWindow(null, NOW), false, "no window known: no question");
  // Already in is said before the date: the volunteer must not admit a second time.
  assert.equal(verdict(ticket(403), entry("valid", 5), { now: 0 }).verdict, "in_before");
});

test("waitlisted: a waitlisted party's ticket", () => {
  assert.deepEqual(verdict(ticket(404), entry("waitlisted")), { verdict: "waitlisted" });
});

test("with no snapshot at all, only the signature, the event and this phone decide", () => {
  assert.deepEqual(verdict(ticket(401), undefined, { haveSnapshot: false }), { verdict: "ok" });
  assert.equal(verdict(ticket(401), undefined, { haveSnapshot: false, localAdmission: { at: 1 } }).verdict, "in_here");
  assert.equal(verdict(ticket(401, "x", 13), undefined, { haveSnapshot: false }).verdict, "other_event");
});

test("each verdict has its view: kind, text, time filled in", () => {
  const strings = {
    offline_ok: "IN",
    offline_in_here: "here at {time}",
    offline_in_before_at: "before, at {time}",
    offline_in_before: "before",
    offline_cancelled: "cancelled",
    offline_replaced: "replaced",
    offline_other_event: "other",
    offline_invalid: "invalid",
    offline_waitlisted: "waitlisted",
    wrong_day: "for {day}?",
  };
  const time = (ms) => "t" + ms;
  const views = [
    [{ verdict: "ok" }, "ok", "IN"],
    [{ verdict: "in_here", at: 5 }, "warn", "here at t5"],
    [{ verdict: "in_before", at: 7 }, "warn", "before, at t7"],
    [{ verdict: "in_before", at: null }, "warn", "before"],
    [{ verdict: "cancelled", replaced: false }, "stop", "cancelled"],
    [{ verdict: "cancelled", replaced: true }, "stop", "replaced"],
    [{ verdict: "other_event" }, "stop", "other"],
    [{ verdict: "invalid" }, "stop", "invalid"],
    [{ verdict: "wrong_day", day: "Thu" }, "ask", "for Thu?"],
    [{ verdict: "waitlisted" }, "stop", "waitlisted"],
  ];
  assert.deepEqual(new Set(views.map(([d]) => d.verdict)), new Set(OFFLINE_VERDICTS));
  for (const [decision, kind, message] of views) {
    assert.deepEqual(offlineView(decision, strings, time), { kind, message }, decision.verdict);
  }
});

// --- the snapshot: full, delta, count, ETag, kept in the store ---------------------------------

/** A snapshot on a memory store whose server answers `answers` in order (null: 304). */
function harness(answers = [], store = memoryStore()) {
  const asked = [];
  const snapshot = createSnapshot({
    store,
    eventId: 12,
    fetchSnapshot: async (since, etag) => {
      asked.push({ since, etag });
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next;
    },
    now: () => NOW,
  });
  return { snapshot, asked, store };
}

const full = (tickets, more = {}) => ({
  data: { event_id: 12, revision: "r1", full: true, count: tickets.length, window: WINDOW, tickets, ...more },
  etag: '"e1"',
});
const delta = (tickets, count, more = {}) => ({
  data: { event_id: 12, revision: "r2", full: false, count, window: WINDOW, tickets, ...more },
  etag: '"e2"',
});

const ROWS = [
  [401, "a1b2c3d4", "valid", 0],
  [402, "99ff0011", "void", 0],
  [403, "0badc0de", "valid", 1765330000],
];

test("a full answer replaces what is held; a delta is merged; 304 changes nothing", async () => {
  const h = harness([
    full(ROWS),
    delta([[401, "a1b2c3d4", "valid", 1765331000]], 3),
    null,
    full([[405, "00000000", "valid", 0]], { revision: "r9" }),
  ]);
  assert.equal(await h.snapshot.refresh(), true);
  assert.deepEqual(h.asked[0], { since: null, etag: null });
  assert.equal(h.snapshot.size(), 3);
  assert.deepEqual(h.snapshot.entry(402), { fp: "99ff0011", state: "void", in: 0 });

  await h.snapshot.refresh();
  assert.deepEqual(h.asked[1], { since: "r1", etag: '"e1"' });
  assert.equal(h.snapshot.entry(401).in, 1765331000);
  assert.equal(h.snapshot.size(), 3);

  assert.equal(await h.snapshot.refresh(), false);
  assert.deepEqual(h.asked[2], { since: "r2", etag: '"e2"' });
  assert.equal(h.snapshot.revision(), "r2");

  await h.snapshot.refresh();
  assert.equal(h.snapshot.size(), 1, "full: what was held is replaced");
  assert.equal(h.snapshot.entry(401), undefined);
});

test("the count rule: a delta that leaves a different number of tickets asks for all again", async () => {
  const h = harness([full(ROWS), delta([[403, "0badc0de", "valid", 0]], 2), full(ROWS.slice(0, 2))]);
  await h.snapshot.refresh();
  await h.snapshot.refresh(); // 3 held after merging, the server counts 2: 1 was deleted
  assert.deepEqual(h.asked.slice(1), [
    { since: "r1", etag: '"e1"' },
    { since: null, etag: null },
  ]);
  assert.equal(h.snapshot.size(), 2);
  assert.equal(h.snapshot.entry(403), undefined);
});

test("a count that still does not match after the full list is not asked for forever", async () => {
  const h = harness([full(ROWS, { count: 5 }), full(ROWS, { count: 5 }), full(ROWS)]);
  await h.snapshot.refresh();
  assert.equal(h.asked.length, 2);
  await h.snapshot.refresh();
  assert.deepEqual(h.asked[2], { since: null, etag: null }, "the next tick asks for all again");
});

test("apply refuses another event's snapshot", async () => {
  const h = harness();
  await assert.rejects(h.snapshot.apply({ event_id: 13, full: true, count: 0, tickets: [] }));
});

test("the snapshot and this phone's admissions survive a reload (the store), with no names", async () => {
  const store = memoryStore();
  const first = harness([full(ROWS)], store);
  await first.snapshot.refresh();
  await first.snapshot.markLocal(401, "scan-1");
  const saved = await store.get(snapshotKey(12));
  assert.deepEqual(saved.tickets, ROWS);
  assert.equal(saved.etag, '"e1"');
  assert.deepEqual(Object.keys(saved).sort(), ["count", "etag", "event_id", "revision", "tickets", "window"]);
  assert.deepEqual(await store.get(localKey(12)), { 401: { at: NOW, scan: "scan-1", synced: false } });

  const again = harness([null], store);
  await again.snapshot.ready;
  assert.equal(again.snapshot.loaded(), true);
  assert.deepEqual(again.snapshot.decide(ticket(401)), { verdict: "in_here", at: NOW });
  assert.equal(again.snapshot.decide(ticket(403, "0badc0de")).verdict, "in_before");
  await again.snapshot.refresh();
  assert.deepEqual(again.asked[0], { since: "r1", etag: '"e1"' }, "a reload asks only for what changed");
});

test("markLocal / unmarkLocal: undo of an offline admission before it syncs", async () => {
  const h = harness([full(ROWS)]);
  await h.snapshot.refresh();
  await h.snapshot.markLocal(401, "scan-1");
  assert.equal(h.snapshot.decide(ticket(401)).verdict, "in_here");
  await h.snapshot.unmarkLocal(401);
  assert.deepEqual(h.snapshot.decide(ticket(401)), { verdict: "ok" });
  assert.deepEqual(await h.store.get(localKey(12)), {});
});

test("a synced mark the server no longer shows as in was undone elsewhere: it goes", async () => {
  const h = harness([
    full(ROWS),
    delta([[401, "a1b2c3d4", "valid", 1765331000]], 3),
    delta([[401, "a1b2c3d4", "valid", 0]], 3),
  ]);
  await h.snapshot.refresh();
  await h.snapshot.markLocal(401, "scan-1");
  await h.snapshot.refresh(); // not synced yet: an "in: 0" would not count; here the server has it
  await h.snapshot.localSynced(401);
  assert.equal(h.snapshot.decide(ticket(401)).verdict, "in_here");
  await h.snapshot.refresh(); // the back office undid it
  assert.equal(h.snapshot.local(401), undefined);
  assert.deepEqual(h.snapshot.decide(ticket(401)), { verdict: "ok" });
});

test("an unsynced mark stays whatever the snapshot says", async () => {
  const h = harness([full(ROWS), full(ROWS)]);
  await h.snapshot.refresh();
  await h.snapshot.markLocal(401, "scan-1");
  await h.snapshot.refresh();
  assert.equal(h.snapshot.decide(ticket(401)).verdict, "in_here");
});

test("note() records the server's answers between two refreshes", async () => {
  const h = harness([full(ROWS)]);
  await h.snapshot.refresh();
  h.snapshot.note(401, 1765332000); // admitted online, on this phone
  assert.equal(h.snapshot.decide(ticket(401)).verdict, "in_before");
  h.snapshot.note(403, 0); // undone
  assert.deepEqual(h.snapshot.decide(ticket(403, "0badc0de")), { verdict: "ok" });
});

test("a failed refresh rejects as the API does, and the next one asks again", async () => {
  const h = harness([new Error("offline"), full(ROWS)]);
  await assert.rejects(h.snapshot.refresh());
  await h.snapshot.refresh();
  assert.equal(h.snapshot.size(), 3);
});

// --- end to end: real codes, signed here, judged as the page judges them --------------------------

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
function base32(bytes) {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits) out += B32[(value << (5 - bits)) & 31];
  return out;
}

async function signer() {
  const { subtle } = globalThis.crypto;
  const keys = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const raw = new Uint8Array(await subtle.exportKey("raw", keys.publicKey));
  const code = async (eventId, ticketId, seed) => {
    const payload = new Uint8Array(15);
    const view = new DataView(payload.buffer);
    view.setUint8(0, 1);
    view.setUint32(1, eventId);
    view.setUint32(5, ticketId);
    payload.set(seed, 9);
    const signature = new Uint8Array(await subtle.sign("Ed25519", keys.privateKey, payload));
    return base32(new Uint8Array([...payload, ...signature]));
  };
  const fp = async (seed) =>
    Array.from(new Uint8Array(await subtle.digest("SHA-256", seed)).subarray(0, 4), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
  return { publicKey: Buffer.from(raw).toString("base64"), code, fp };
}

test("real codes: valid, forged, duplicate, other event, replaced, a search's ticket id", async () => {
  const s = await signer();
  const seed = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const oldSeed = new Uint8Array([9, 9, 9, 9, 9, 9]);
  const h = harness([full([[401, await s.fp(seed), "valid", 0], [402, await s.fp(seed), "valid", 0]])]);
  await h.snapshot.refresh();
  const verifier = createVerifier(s.publicKey);
  const judge = async (scan) => (await judgeOffline(scan, { snapshot: h.snapshot, verifier })).decision.verdict;

  const good = await s.code(12, 401, seed);
  assert.equal(await judge({ code: good }), "ok");
  await h.snapshot.markLocal(401, "scan-1");
  assert.equal(await judge({ code: good.toLowerCase() + "\n" }), "in_here", "the same ticket again");
  const forged = good.slice(0, 40) + (good[40] === "A" ? "B" : "A") + good.slice(41);
  assert.equal(await judge({ code: forged }), "invalid");
  assert.equal(await judge({ code: "NOT-A-TICKET" }), "invalid");
  assert.equal(await judge({ code: await s.code(13, 401, seed) }), "other_event");
  assert.equal(await judge({ code: await s.code(12, 402, oldSeed) }), "cancelled");
  assert.equal(await judge({ code: await s.code(12, 777, seed) }), "invalid", "an id the event lacks");
  assert.equal(await judge({ ticket_id: 402 }), "ok");
});

test("note() outlives a refresh asked for before it, not one asked for after", async () => {
  let clock = NOW;
  let release;
  const answers = [full(ROWS), null, full(ROWS)];
  const snapshot = createSnapshot({
    store: memoryStore(),
    eventId: 12,
    fetchSnapshot: async () => {
      const answer = answers.shift();
      if (answer === null) return new Promise((resolve) => (release = () => resolve(full(ROWS))));
      return answer;
    },
    now: () => clock,
  });
  await snapshot.refresh();
  const slow = snapshot.refresh(); // asked for before the admission below
  await new Promise((resolve) => setImmediate(resolve));
  clock += 10;
  snapshot.note(401, 1765332000); // admitted online while that request was on its way
  release();
  await slow;
  assert.equal(snapshot.entry(401).in, 1765332000, "an older copy does not undo what was learnt");
  clock += 10;
  await snapshot.refresh(); // asked for after: the server's word (here: not in) holds
  assert.equal(snapshot.entry(401).in, 0);
});
