// The verdict: which colour, icon and word an answer gets, and showing it (sound, vibration).
import { fill } from "./text.js";

/** The icon of each kind of verdict; its word comes from the page's strings (word_<kind>). */
export const ICONS = { ok: "✓", warn: "!", ask: "?", stop: "✕", wait: "…", undone: "↶" };

/** Return the kind of verdict a check-in result gets: in, look again, or stop. */
export function kindOf(result) {
  if (result === "ok") return "ok";
  if (result === "already_checked_in") return "warn";
  return "stop";
}

/** Return what the verdict box shows for a kind and a message. */
export function verdictView(kind, message, strings) {
  return {
    className: "verdict verdict-" + kind,
    icon: ICONS[kind],
    word: strings["word_" + kind],
    message,
  };
}

/** Return the text of the "scans waiting" line: "" when none wait. */
export function queueText(waiting, strings) {
  if (waiting === 1) return strings.queue_one;
  return waiting > 1 ? fill(strings.queue_many, { n: waiting }) : "";
}

/** The vibration of each verdict that needs the volunteer's attention, in ms. */
export const VIBRATIONS = { ok: [80], warn: [80, 60, 80], ask: [80, 60, 80], stop: [300] };

/**
 * Return the verdict box of the page: `show(kind, message, {offline})` rewrites it (so the live
 * region announces it even when the text is the same as before) and signals ok / warn / stop.
 * offline: the phone decided without the server; the box says so (its badge, strings.offline).
 */
export function createVerdictView({ element, strings, signal }) {
  return function show(kind, message, { offline = false } = {}) {
    const view = verdictView(kind, message, strings);
    element.className = view.className + (offline ? " verdict-offline" : "");
    element.querySelector(".verdict-icon").textContent = view.icon;
    element.querySelector(".verdict-word").textContent = view.word;
    const badge = element.querySelector(".verdict-badge");
    if (badge) {
      badge.textContent = offline ? strings.offline : "";
      badge.hidden = !offline;
    }
    element.querySelector(".verdict-message").textContent = view.message;
    if (kind in VIBRATIONS) signal(kind);
  };
}

/** Return the beeps and vibrations of the page; `muted()` silences both. */
export function createSignal({ muted }) {
  let audio = null;

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

  return {
    /** Create the audio context inside a user gesture (browsers keep it silent otherwise). */
    unlock() {
      if (audio || !(window.AudioContext || window.webkitAudioContext)) return;
      audio = new (window.AudioContext || window.webkitAudioContext)();
    },
    signal(kind) {
      if (muted()) return;
      if (navigator.vibrate) navigator.vibrate(VIBRATIONS[kind]);
      if (!audio) return;
      if (audio.state === "suspended") audio.resume();
      if (kind === "ok") beep(1320, 0, 0.12);
      else if (kind === "warn" || kind === "ask") (beep(660, 0, 0.1), beep(660, 0.18, 0.1));
      else beep(220, 0, 0.35);
    },
  };
}
