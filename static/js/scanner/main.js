// The door scanner: camera, hardware scanner or typed code, and name search → /api/v1 check-ins.
// The page's modules: api (requests), queue (scans kept and sent), verdict (what the volunteer
// sees and hears), camera and decoder, search; this one wires them to the page.
import { createApi, RetryableError } from "./api.js";
import { cameraUnavailable, createCamera } from "./camera.js";
import { createQueue } from "./queue.js";
import { isSearchable, renderResults } from "./search.js";
import { createSignal, createVerdictView, kindOf, queueText } from "./verdict.js";

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

  const queue = createQueue({
    storage: localStorage,
    key: "eventsvc.door.queue." + root.dataset.eventId,
    send: (scan) => api.request("POST", "/checkins", scan),
    isClosed: api.closed,
    show,
    strings: T,
    onAnswer,
    onChange: renderQueue,
  });

  function renderQueue() {
    const waiting = queue.waiting();
    els.queue.hidden = waiting === 0;
    els.queue.textContent = queueText(waiting, T);
  }

  // --- after a verdict: undo, the rest of the party, the counter --------------------------------

  let lastAdmission = null; // {scan_id}
  let lastParty = null; // {rsvp_id, name}

  function onAnswer(answer, item) {
    show(kindOf(answer.result), answer.message);
    if (answer.ok) {
      lastAdmission = { scan_id: answer.scan_id };
      els.undo.disabled = false;
      const a = answer.attendee;
      lastParty = a && a.party_size > 1 ? { rsvp_id: a.rsvp_id, name: a.name } : null;
      els.restOfParty.hidden = !lastParty;
    } else if (!item.ticket_id) {
      lastParty = null;
      els.restOfParty.hidden = true;
    }
    refreshStats();
    if (item.ticket_id && lastSearch) runSearch(lastSearch, true); // show the new ticket states
  }

  async function undoLast() {
    if (!lastAdmission) return;
    els.undo.disabled = true;
    try {
      await api.request("POST", "/checkins/" + lastAdmission.scan_id + "/undo");
      lastAdmission = null;
      show("undone", T.undone);
      if (lastSearch) runSearch(lastSearch, true);
    } catch (err) {
      els.undo.disabled = false;
      show("stop", err instanceof RetryableError ? T.error : err.message);
    }
    refreshStats();
  }

  async function refreshStats() {
    if (api.closed()) return;
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
    if (code) queue.add({ code });
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
    onCode: (code) => queue.add({ code }),
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
    try {
      const data = await api.request("GET", "/search?q=" + encodeURIComponent(query));
      if (seq === searchSeq) {
        renderResults({
          list: els.results,
          status: els.searchStatus,
          strings: T,
          results: data.results,
          onlyRsvp: searchOnly,
          checkIn: (ticketId) => queue.add({ ticket_id: ticketId }),
        });
      }
    } catch {
      if (seq === searchSeq && !quiet) els.searchStatus.textContent = T.search_failed;
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
  window.addEventListener("online", queue.pump);

  function renderMute() {
    els.mute.setAttribute("aria-pressed", muted ? "true" : "false");
  }

  renderMute();
  const why = cameraUnavailable(T);
  if (why) camera.setStatus(why);
  refreshStats();
  setInterval(refreshStats, 10000);
  if (queue.size()) queue.pump(); // scans left over from before a reload
}
