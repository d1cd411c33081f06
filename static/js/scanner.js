// The door scanner: camera, hardware scanner or typed code, and name search → /api/v1 check-ins.
//
// Every scan is put in a small queue (kept in localStorage: codes, ticket ids and scan ids only,
// never names) before it is sent, and leaves it when the server has answered. A request that
// fails on the network or with a 5xx is retried with the SAME client_scan_id, so the server
// answers a retry as the same scan: never a second check-in, never a false "already in".
(function () {
  "use strict";

  const root = document.getElementById("scanner");
  if (!root) return;

  const $ = (id) => document.getElementById(id);
  const T = JSON.parse($("scanner-i18n").textContent);
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

  const apiBase = root.dataset.apiBase;
  const doorToken = root.dataset.doorToken;
  const csrf = root.dataset.csrf;
  const queueKey = "eventsvc.door.queue." + root.dataset.eventId;
  const muteKey = "eventsvc.door.muted";

  const els = {
    verdict: $("verdict"),
    queue: $("queue"),
    code: $("code"),
    form: $("code-form"),
    camera: $("camera"),
    video: $("camera-video"),
    cameraToggle: $("camera-toggle"),
    cameraStatus: $("camera-status"),
    undo: $("undo"),
    mute: $("mute"),
    restOfParty: $("rest-of-party"),
    countIn: $("count-in"),
    countTotal: $("count-total"),
    search: $("search"),
    searchStatus: $("search-status"),
    results: $("search-results"),
  };

  // --- talking to the API --------------------------------------------------------------------

  /** An answer worth retrying: no connection, or the server (or a proxy) failed. */
  class RetryableError extends Error {}

  /** 429: too many failed look-ups of door links from this network; wait, then send again. */
  class RateLimitedError extends Error {
    constructor(seconds) {
      super(fill(T.rate_limited, { n: Math.max(1, Math.ceil(seconds / 60)) }));
      this.seconds = seconds;
    }
  }

  // The door link stopped working (401/403: switched off, expired): asking again only counts
  // as failed look-ups against this whole network, so the page stops asking. Holds why.
  let doorClosed = "";

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (doorToken) headers["X-Door-Token"] = doorToken;
    else headers["X-CSRFToken"] = csrf; // a logged-in staff member: session cookie + CSRF
    if (body) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(apiBase + path, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (err) {
      throw new RetryableError(String(err));
    }
    if (response.status >= 500) throw new RetryableError("HTTP " + response.status);
    if (response.status === 429) {
      const seconds = parseInt(response.headers.get("Retry-After") || "", 10);
      throw new RateLimitedError(Number.isFinite(seconds) && seconds > 0 ? seconds : 60);
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      // A proxy's HTML error page, or an empty body.
    }
    if (!response.ok) {
      const err = new Error((data && data.message) || T.error);
      err.status = response.status;
      if (response.status === 401 || response.status === 403) doorClosed = err.message;
      throw err;
    }
    return data;
  }

  // --- the verdict: colour, icon, word, sound, vibration ---------------------------------------

  const KINDS = {
    ok: { icon: "✓", word: T.word_ok },
    warn: { icon: "!", word: T.word_warn },
    stop: { icon: "✕", word: T.word_stop },
    wait: { icon: "…", word: T.word_wait },
    undone: { icon: "↶", word: T.word_undone },
  };

  function kindOf(result) {
    if (result === "ok") return "ok";
    if (result === "already_checked_in") return "warn";
    return "stop";
  }

  function showVerdict(kind, message) {
    const v = els.verdict;
    v.className = "verdict verdict-" + kind;
    // Rewrite the text so the live region announces it even when it is the same as before.
    v.querySelector(".verdict-icon").textContent = KINDS[kind].icon;
    v.querySelector(".verdict-word").textContent = KINDS[kind].word;
    v.querySelector(".verdict-message").textContent = message;
    if (kind === "ok" || kind === "warn" || kind === "stop") signal(kind);
  }

  let audio = null;
  let muted = localStorage.getItem(muteKey) === "1";

  /** Create the audio context inside a user gesture (browsers keep it silent otherwise). */
  function unlockAudio() {
    if (audio || !(window.AudioContext || window.webkitAudioContext)) return;
    audio = new (window.AudioContext || window.webkitAudioContext)();
  }

  function beep(frequency, start, duration) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = frequency;
    osc.type = "square";
    gain.gain.value = 0.08;
    osc.connect(gain).connect(audio.destination);
    osc.start(audio.currentTime + start);
    osc.stop(audio.currentTime + start + duration);
  }

  function signal(kind) {
    if (muted) return;
    const patterns = { ok: [80], warn: [80, 60, 80], stop: [300] };
    if (navigator.vibrate) navigator.vibrate(patterns[kind]);
    if (!audio) return;
    if (audio.state === "suspended") audio.resume();
    if (kind === "ok") beep(1320, 0, 0.12);
    else if (kind === "warn") (beep(660, 0, 0.1), beep(660, 0.18, 0.1));
    else beep(220, 0, 0.35);
  }

  function renderMute() {
    els.mute.setAttribute("aria-pressed", muted ? "true" : "false");
  }

  // --- the queue of scans: persisted, sent in order, retried with backoff -----------------------

  function loadQueue() {
    try {
      const items = JSON.parse(localStorage.getItem(queueKey) || "[]");
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  }

  let queue = loadQueue();
  let sending = false;
  let backoff = 0; // ms; 0 while the connection works
  let retryTimer = null;

  function saveQueue() {
    // Only what is needed to send the scan again: never a name.
    const items = queue.map(({ client_scan_id, code, ticket_id, scanned_at }) =>
      code ? { client_scan_id, code, scanned_at } : { client_scan_id, ticket_id, scanned_at },
    );
    try {
      localStorage.setItem(queueKey, JSON.stringify(items));
    } catch {
      // Private mode or a full storage: the queue still works for this page.
    }
  }

  function renderQueue() {
    const waiting = backoff ? queue.length : 0;
    els.queue.hidden = waiting === 0;
    els.queue.textContent =
      waiting === 1 ? T.queue_one : waiting > 1 ? fill(T.queue_many, { n: waiting }) : "";
  }

  function newScanId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  /** Queue one scan (a code or a ticket id) and send it; the verdict shows when it is answered. */
  function enqueue(scan) {
    const item = { ...scan, client_scan_id: newScanId(), scanned_at: new Date().toISOString() };
    queue.push(item);
    saveQueue();
    if (doorClosed) return showVerdict("stop", doorClosed);
    if (!backoff) showVerdict("wait", T.sending);
    pump();
  }

  async function pump() {
    if (sending || doorClosed) return;
    sending = true;
    clearTimeout(retryTimer);
    try {
      while (queue.length) {
        const item = queue[0];
        let answer;
        try {
          answer = await api("POST", "/checkins", {
            code: item.code,
            ticket_id: item.ticket_id,
            client_scan_id: item.client_scan_id,
            scanned_at: item.scanned_at,
          });
        } catch (err) {
          if (err instanceof RateLimitedError) {
            // The scan stays queued and goes again once the network may ask again.
            backoff = err.seconds * 1000;
            renderQueue();
            showVerdict("stop", err.message);
            retryTimer = setTimeout(pump, backoff);
            return;
          }
          if (doorClosed) {
            showVerdict("stop", err.message); // the scans stay saved; nothing more is sent
            return;
          }
          if (err instanceof RetryableError) {
            // Same request again later: 1 s, 2 s, 4 s … up to 30 s.
            backoff = Math.min(backoff ? backoff * 2 : 1000, 30000);
            renderQueue();
            showVerdict("wait", T.queued);
            retryTimer = setTimeout(pump, backoff);
            return;
          }
          queue.shift(); // refused by the server (4xx): sending it again would not help
          saveQueue();
          backoff = 0;
          showVerdict("stop", err.message);
          continue;
        }
        queue.shift();
        saveQueue();
        backoff = 0;
        onVerdict(answer, item);
      }
    } finally {
      sending = false;
      renderQueue();
    }
  }

  // --- after a verdict: undo, the rest of the party, the counter --------------------------------

  let lastAdmission = null; // {scan_id}
  let lastParty = null; // {rsvp_id, name}

  function onVerdict(answer, item) {
    showVerdict(kindOf(answer.result), answer.message);
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
      await api("POST", "/checkins/" + lastAdmission.scan_id + "/undo");
      lastAdmission = null;
      showVerdict("undone", T.undone);
      if (lastSearch) runSearch(lastSearch, true);
    } catch (err) {
      els.undo.disabled = false;
      showVerdict("stop", err instanceof RetryableError ? T.error : err.message);
    }
    refreshStats();
  }

  async function refreshStats() {
    if (doorClosed) return;
    try {
      const stats = await api("GET", "/stats");
      els.countIn.textContent = stats.checked_in;
      els.countTotal.textContent = stats.confirmed;
    } catch {
      // Keep the last numbers; the next tick tries again.
    }
  }

  // --- the text field: typed codes and keyboard-wedge scanners (they type the code + Enter) ----

  function submitCode(event) {
    event.preventDefault();
    unlockAudio();
    const code = els.code.value.trim();
    els.code.value = "";
    if (code) enqueue({ code });
    if (!stream) els.code.focus(); // ready for the next scan
  }

  // --- the camera --------------------------------------------------------------------------------

  let stream = null;
  let detector = null; // BarcodeDetector, where the browser has one for QR codes
  let zxingReady = null;
  let scanTimer = null;
  let lastCamera = { code: "", at: 0 };
  const canvas = document.createElement("canvas");
  const FRAME_MS = 125; // ~8 decodes per second: enough at a door, gentle on a phone
  const SAME_CODE_MS = 3000; // the camera sees the same ticket in many frames

  function setCameraStatus(text) {
    els.cameraStatus.textContent = text;
  }

  /** Say why there is no camera, up front, instead of failing when the button is pressed. */
  function cameraUnavailable() {
    if (!window.isSecureContext) return T.camera_insecure;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return T.camera_unsupported;
    return null;
  }

  async function pickDecoder() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return;
        }
      } catch {
        // Fall through to the library.
      }
    }
    if (!window.ZXingWASM) throw new Error("decoder");
    // Point the library at our own copy of its WebAssembly: by default it fetches it from a
    // public CDN, which we never use (privacy; the CSP would block it anyway).
    zxingReady =
      zxingReady ||
      window.ZXingWASM.prepareZXingModule({
        overrides: {
          locateFile: (path, prefix) => (path.endsWith(".wasm") ? root.dataset.wasmUrl : prefix + path),
        },
        fireImmediately: true,
      });
    await zxingReady;
  }

  async function decodeFrame() {
    const video = els.video;
    if (video.readyState < 2 || !video.videoWidth) return null;
    if (detector) {
      const codes = await detector.detect(video);
      return codes.length ? codes[0].rawValue : null;
    }
    // At most 800 px wide: a ticket fills a good part of the frame; bigger is only slower.
    const scale = Math.min(1, 800 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const results = await window.ZXingWASM.readBarcodes(image, {
      formats: ["QRCode"],
      maxNumberOfSymbols: 1,
    });
    return results.length ? results[0].text : null;
  }

  async function scanLoop() {
    if (!stream) return;
    try {
      const code = (await decodeFrame() || "").trim();
      const now = Date.now();
      if (code && (code !== lastCamera.code || now - lastCamera.at > SAME_CODE_MS)) {
        enqueue({ code });
      }
      if (code) lastCamera = { code, at: now };
    } catch {
      // One bad frame: try the next.
    }
    if (stream) scanTimer = setTimeout(scanLoop, FRAME_MS);
  }

  async function startCamera() {
    const why = cameraUnavailable();
    if (why) return setCameraStatus(why);
    setCameraStatus(T.camera_starting);
    els.cameraToggle.disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } },
        audio: false,
      });
    } catch (err) {
      stream = null;
      els.cameraToggle.disabled = false;
      const name = err && err.name;
      if (name === "NotAllowedError" || name === "SecurityError") setCameraStatus(T.camera_denied);
      else if (name === "NotFoundError" || name === "OverconstrainedError") setCameraStatus(T.camera_missing);
      else setCameraStatus(T.camera_failed);
      els.code.focus();
      return;
    }
    try {
      await pickDecoder();
    } catch {
      stopCamera();
      setCameraStatus(T.decoder_failed);
      return;
    }
    els.video.srcObject = stream;
    els.camera.hidden = false;
    await els.video.play().catch(() => {});
    els.cameraToggle.disabled = false;
    els.cameraToggle.textContent = T.stop_camera;
    setCameraStatus(T.camera_on);
    root.scrollIntoView({ block: "start" }); // the picture, the verdict and the button in view
    scanLoop();
  }

  function stopCamera() {
    clearTimeout(scanTimer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    els.video.srcObject = null;
    els.camera.hidden = true;
    els.cameraToggle.disabled = false;
    els.cameraToggle.textContent = T.start_camera;
    setCameraStatus("");
  }

  // --- name search ----------------------------------------------------------------------------

  let lastSearch = "";
  let searchTimer = null;
  let searchSeq = 0; // answers can come back out of order: show only the newest

  function button(label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function renderResults(results, onlyRsvp) {
    els.results.replaceChildren();
    const shown = onlyRsvp ? results.filter((r) => r.rsvp_id === onlyRsvp) : results;
    els.searchStatus.textContent = shown.length ? "" : T.search_none;
    for (const person of shown) {
      const li = document.createElement("li");
      li.className = "person";
      const head = document.createElement("p");
      head.className = "person-name";
      const name = document.createElement("strong");
      name.dir = "auto"; // isolated: a name's right-to-left override cannot reorder the line
      name.textContent = person.name;
      head.append(name, " · " + fill(T.party_of, { n: person.party_size }));
      li.append(head);
      if (person.status === "waitlisted") {
        const p = document.createElement("p");
        p.className = "person-waitlisted";
        p.textContent = "✕ " + T.waitlisted;
        li.append(p);
      }
      const remaining = person.tickets.filter((t) => !t.checked_in);
      const actions = document.createElement("div");
      actions.className = "person-tickets";
      for (const t of person.tickets) {
        if (t.checked_in) {
          const span = document.createElement("span");
          span.className = "ticket-in";
          span.textContent = "✓ " + fill(T.person_in, { position: t.position, time: t.checked_in_time || "" });
          actions.append(span);
        } else {
          actions.append(
            button(fill(T.check_in_person, { position: t.position }), () => enqueue({ ticket_id: t.ticket_id })),
          );
        }
      }
      if (remaining.length > 1) {
        const all = button(fill(T.check_in_all, { n: remaining.length }), () =>
          remaining.forEach((t) => enqueue({ ticket_id: t.ticket_id })), // one scan (and id) each
        );
        all.classList.add("button-strong");
        actions.append(all);
      }
      li.append(actions);
      els.results.append(li);
    }
  }

  let searchOnly = null; // an rsvp id: "rest of the party" shows just that party

  async function runSearch(query, quiet) {
    const seq = ++searchSeq;
    lastSearch = query;
    if (query.replace(/\s/g, "").length < 2) {
      els.results.replaceChildren();
      els.searchStatus.textContent = query ? T.search_short : "";
      return;
    }
    try {
      const data = await api("GET", "/search?q=" + encodeURIComponent(query));
      if (seq === searchSeq) renderResults(data.results, searchOnly);
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
  els.cameraToggle.addEventListener("click", () => {
    unlockAudio();
    if (stream) {
      stopCamera();
      els.code.focus();
    } else {
      startCamera();
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
    if (document.hidden && stream) stopCamera(); // give the camera back when the phone sleeps
  });
  window.addEventListener("online", pump);

  renderMute();
  const why = cameraUnavailable();
  if (why) setCameraStatus(why);
  refreshStats();
  setInterval(refreshStats, 10000);
  if (queue.length) pump(); // scans left over from before a reload
})();
