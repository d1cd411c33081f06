// The door scanner: camera, hardware scanner or typed code, and name search → /api/v1 check-ins.
// The page's modules: api (requests), queue (scans kept and sent), verdict (what the volunteer
// sees and hears), camera and decoder, search; this one wires them to the page.
import { createApi, RetryableError } from "./api.js";
import { cameraUnavailable, createCamera } from "./camera.js";
import { clockTime, judgeOffline, offlineView } from "./judge.js";
import { registerWorker } from "./offline.js";
import { createDayConfirm, createNotice, showSearchOffline } from "./prompts.js";
import { createQueue } from "./queue.js";
import { isSearchable, renderResults } from "./search.js";
import { createSnapshot } from "./snapshot.js";
import { migrateLegacyQueue, openStore, queueKey } from "./store.js";
import { fill } from "./text.js";
import { createVerifier } from "./ticket.js";
import { createSignal, createVerdictView, kindOf, queueText } from "./verdict.js";
import { createWalkIn } from "./walkin.js";

const root = document.getElementById("scanner");
if (root) start(root);

function start(root) {
  const $ = (id) => document.getElementById(id);
  const T = JSON.parse($("scanner-i18n").textContent);
  const muteKey = "eventsvc.door.muted";

  const els = {
    verdict: $("verdict"),
    queue: $("queue"),
    code: $("code"),
    form: $("code-form"),
    undo: $("undo"),
    mute: $("mute"),
    restOfParty: $("rest-of-party"),
    countIn: $("count-in"),
    countTotal: $("count-total"),
    search: $("search"),
    searchStatus: $("search-status"),
    results: $("search-results"),
  };

  const api = createApi({
    apiBase: root.dataset.apiBase,
    doorToken: root.dataset.doorToken,
    csrf: root.dataset.csrf,
    strings: T,
  });

  let muted = localStorage.getItem(muteKey) === "1";
  const sound = createSignal({ muted: () => muted });
  const show = createVerdictView({ element: els.verdict, strings: T, signal: sound.signal });

  // --- offline: what the phone keeps (IndexedDB, no names) and judges without the server ------

  const eventId = Number(root.dataset.eventId);
  const store = openStore().then(async (s) => {
    await migrateLegacyQueue(s, localStorage, eventId).catch(() => 0); // the old scanner's queue
    return s;
  });
  const snapshot = createSnapshot({
    store,
    eventId,
    fetchSnapshot: (since, etag) =>
      api.getIfChanged("/snapshot" + (since ? "?since=" + encodeURIComponent(since) : ""), etag, {
        timeoutMs: 15000, // a whole event's tickets, on slow wifi
      }),
  });
  const verifier = createVerifier(root.dataset.publicKey, { loadNoble: () => import(root.dataset.nobleUrl) });
  const dayConfirm = createDayConfirm(
    { box: $("confirm-day"), admit: $("confirm-day-admit"), refuse: $("confirm-day-refuse") },
    { onDone: () => camera.isOn() || els.code.focus() }, // ready for the next scan
  );
  const notice = createNotice($("notice"));

  const queue = createQueue({
    store,
    key: queueKey(eventId),
    send: (scan) => api.request("POST", "/checkins", scan),
    isClosed: api.closed,
    isOnline: () => navigator.onLine !== false,
    show,
    strings: T,
    onAnswer,
    onSynced,
    onUnanswered: decideOffline,
    onOnline: () => (refreshSnapshot(), refreshStats()),
    onChange: renderQueue,
  });

  /** Queue a scan (the decode, or the typed code, was just now: its verdict is timed). */
  function scan(fields) {
    dayConfirm.close(); // a new guest: the last one's date question is over
    return queue.add(fields, { t0: performance.now() });
  }

  /** Show a scan's verdict; the first one records its time since the decode (__doorTimings). */
  function verdictFor(item, kind, message, { offline = false, result = "" } = {}) {
    show(kind, message, { offline });
    const t0 = item.meta && item.meta.t0;
    if (t0 === undefined) return;
    delete item.meta.t0;
    window.__doorTimings = window.__doorTimings || [];
    window.__doorTimings.push({ ms: performance.now() - t0, offline, verdict: result });
  }

  /** The same scan again (its id and time), with more said: confirm_day, offline. */
  function again(item, more) {
    const { code, ticket_id, client_scan_id, scanned_at } = item;
    return queue.add({ code, ticket_id, client_scan_id, scanned_at, ...more });
  }

  /** Decide a scan whose answer did not come, on this phone (queue.js's onUnanswered). */
  async function decideOffline(item) {
    let judged;
    try {
      judged = await judgeOffline(item, { snapshot, verifier });
    } catch {
      return "undecided"; // no signature check here (plain HTTP): the server decides later
    }
    const { ticket, decision } = judged;
    const view = offlineView(decision, T);
    verdictFor(item, view.kind, view.message, { offline: true, result: decision.verdict });
    if (decision.verdict === "ok") {
      admittedOffline(item, ticket.ticketId);
      return "admitted";
    }
    if (!item.ticket_id) hideParty();
    if (decision.verdict === "wrong_day") {
      dayConfirm.ask(() => {
        admittedOffline(item, ticket.ticketId);
        show("ok", T.offline_ok, { offline: true });
        again(item, { offline: true, confirm_day: true });
      });
    }
    return "refused";
  }

  function admittedOffline(item, ticketId) {
    snapshot.markLocal(ticketId, item.client_scan_id).catch(() => {});
    lastAdmission = { offline: true, client_scan_id: item.client_scan_id, ticket_id: ticketId, scan_id: null };
    els.undo.disabled = false;
    hideParty();
  }

  /** An offline admission reached the server; a conflict is said beside the current verdict. */
  function onSynced(answer, item) {
    const mine = lastAdmission && lastAdmission.client_scan_id === item.client_scan_id;
    if (answer.error) {
      notice.say(fill(T.sync_refused, { message: answer.error.message }));
      if (mine) forgetAdmission();
      return;
    }
    if (answer.result === "wrong_day" && !item.confirm_day) {
      return again(item, { offline: true, confirm_day: true }); // the guest is in already
    }
    if (answer.ticket_id) snapshot.localSynced(answer.ticket_id).catch(() => {});
    if (mine && answer.ok) lastAdmission.scan_id = answer.scan_id; // undo goes to the server now
    else if (mine) forgetAdmission(); // the server did not admit it: nothing to undo there
    if (answer.conflict) notice.say(fill(T.sync_conflict, { message: answer.message }));
    refreshStats();
  }

  /** Ask the server what changed in the event's tickets; its answer also says we are online. */
  async function refreshSnapshot() {
    if (api.closed()) return;
    try {
      await snapshot.refresh();
      if (queue.isDown() && navigator.onLine !== false) queue.reconnected();
    } catch (err) {
      if (err instanceof RetryableError) queue.disconnected();
    }
  }

  function renderQueue() {
    const waiting = queue.waiting();
    els.queue.hidden = waiting === 0;
    els.queue.textContent = queueText(waiting, T);
  }

  // --- after a verdict: undo, the rest of the party, the counter --------------------------------

  let lastAdmission = null; // {scan_id}, or {offline, client_scan_id, ticket_id, scan_id: null}
  let lastParty = null; // {rsvp_id, name}

  function forgetAdmission() {
    lastAdmission = null;
    els.undo.disabled = true;
  }

  function hideParty() {
    lastParty = null;
    els.restOfParty.hidden = true;
  }

  function onAnswer(answer, item) {
    if (answer.result === "wrong_day") {
      verdictFor(item, "ask", answer.message, { result: answer.result });
      if (!item.ticket_id) hideParty();
      return dayConfirm.ask(() => again(item, { confirm_day: true }));
    }
    verdictFor(item, kindOf(answer.result), answer.message, { result: answer.result });
    const inAt = answer.checked_in_at ? Date.parse(answer.checked_in_at) : answer.ok ? Date.now() : 0;
    if (answer.ticket_id && inAt) snapshot.note(answer.ticket_id, Math.floor(inAt / 1000)); // till the next refresh
    if (answer.ok) {
      lastAdmission = { scan_id: answer.scan_id };
      els.undo.disabled = false;
      const a = answer.attendee;
      lastParty = a && a.party_size > 1 ? { rsvp_id: a.rsvp_id, name: a.name } : null;
      els.restOfParty.hidden = !lastParty;
    } else if (!item.ticket_id) {
      hideParty();
    }
    refreshStats();
    if (item.ticket_id && lastSearch) runSearch(lastSearch, true); // show the new ticket states
  }

  async function undoLast() {
    if (!lastAdmission) return;
    const last = lastAdmission;
    if (last.offline && !last.scan_id) {
      // Not synced yet: it leaves the queue, the server never hears of it.
      const removed = queue.remove(last.client_scan_id);
      if (removed !== "removed") return show("stop", removed === "in_flight" ? T.undo_later : T.error);
      forgetAdmission();
      await snapshot.unmarkLocal(last.ticket_id).catch(() => {});
      return show("undone", T.undone, { offline: true });
    }
    els.undo.disabled = true;
    try {
      const answer = await api.request("POST", "/checkins/" + last.scan_id + "/undo");
      lastAdmission = null;
      if (answer && answer.ticket_id) snapshot.note(answer.ticket_id, 0);
      if (last.offline) snapshot.unmarkLocal(last.ticket_id).catch(() => {});
      show("undone", T.undone);
      if (lastSearch) runSearch(lastSearch, true);
    } catch (err) {
      els.undo.disabled = false;
      show("stop", err instanceof RetryableError ? T.error : err.message);
    }
    refreshStats();
  }

  async function refreshStats() {
    if (api.closed() || queue.isDown()) return;
    try {
      const stats = await api.request("GET", "/stats");
      els.countIn.textContent = stats.checked_in;
      els.countTotal.textContent = stats.confirmed;
    } catch {
      // Keep the last numbers; the next tick tries again.
    }
  }

  // --- the text field: typed codes and keyboard-wedge scanners (they type the code + Enter) ----

  function submitCode(event) {
    event.preventDefault();
    sound.unlock();
    const code = els.code.value.trim();
    els.code.value = "";
    if (code) scan({ code });
    if (!camera.isOn()) els.code.focus(); // ready for the next scan
  }

  // --- the camera --------------------------------------------------------------------------------

  const camera = createCamera({
    els: {
      camera: $("camera"),
      video: $("camera-video"),
      toggle: $("camera-toggle"),
      status: $("camera-status"),
    },
    strings: T,
    wasmUrl: root.dataset.wasmUrl,
    onCode: (code) => scan({ code }),
    onStarted: () => root.scrollIntoView({ block: "start" }), // picture, verdict, button in view
    onFailed: () => els.code.focus(),
  });

  // --- name search ----------------------------------------------------------------------------

  let lastSearch = "";
  let searchTimer = null;
  let searchSeq = 0; // answers can come back out of order: show only the newest
  let searchOnly = null; // an rsvp id: "rest of the party" shows just that party

  async function runSearch(query, quiet) {
    const seq = ++searchSeq;
    lastSearch = query;
    if (!isSearchable(query)) {
      els.results.replaceChildren();
      els.searchStatus.textContent = query ? T.search_short : "";
      return;
    }
    const offline = () =>
      showSearchOffline({ status: els.searchStatus, list: els.results, strings: T, printUrl: root.dataset.printUrl });
    if (queue.isDown()) return offline(); // the names are on the server only
    try {
      const data = await api.request("GET", "/search?q=" + encodeURIComponent(query));
      if (seq === searchSeq) {
        renderResults({
          list: els.results,
          status: els.searchStatus,
          strings: T,
          results: data.results,
          onlyRsvp: searchOnly,
          checkIn: (ticketId) => scan({ ticket_id: ticketId }),
        });
      }
    } catch (err) {
      if (seq !== searchSeq || quiet) return;
      if (err instanceof RetryableError) {
        queue.disconnected();
        offline();
      } else {
        els.searchStatus.textContent = T.search_failed;
      }
    }
  }

  function onSearchInput() {
    searchOnly = null;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(els.search.value.trim()), 300);
  }

  function showRestOfParty() {
    if (!lastParty) return;
    searchOnly = lastParty.rsvp_id;
    els.search.value = lastParty.name;
    runSearch(lastParty.name);
    els.search.scrollIntoView({ block: "start" });
  }

  // --- wiring -------------------------------------------------------------------------------------

  // Walk-ins need the server (seats): offline, the volunteer counts them on paper.
  createWalkIn({ root: $("walkin"), api, strings: T, show, onAdmitted: refreshStats, isDown: () => queue.isDown() });
  els.form.addEventListener("submit", submitCode);
  $("camera-toggle").addEventListener("click", () => {
    sound.unlock();
    if (camera.isOn()) {
      camera.stop();
      els.code.focus();
    } else {
      camera.start();
    }
  });
  els.undo.addEventListener("click", undoLast);
  els.mute.addEventListener("click", () => {
    muted = !muted;
    localStorage.setItem(muteKey, muted ? "1" : "0");
    renderMute();
  });
  els.restOfParty.addEventListener("click", showRestOfParty);
  els.search.addEventListener("input", onSearchInput);
  document.addEventListener("visibilitychange", () => {
    if (document.hidden && camera.isOn()) camera.stop(); // give the camera back when the phone sleeps
  });
  window.addEventListener("online", () => queue.reconnected());
  window.addEventListener("offline", () => queue.disconnected());

  function renderMute() {
    els.mute.setAttribute("aria-pressed", muted ? "true" : "false");
  }

  renderMute();
  const why = cameraUnavailable(T);
  if (why) camera.setStatus(why);
  refreshStats();
  setInterval(refreshStats, 10000);
  refreshSnapshot();
  setInterval(refreshSnapshot, 5000); // cheap: a 304 when nothing changed
  queue.pump(); // scans left over from before a reload, once they are read
  registerWorker(root.dataset.workerUrl); // the scanner reloads and runs with no network
  clockTime(Date.now()); // the time formatter's locale data, loaded now, not at a verdict
}
