// What each check-in answer looks like to the volunteer, in node.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createVerdictView, ICONS, kindOf, queueText, verdictView } from "../../static/js/scanner/verdict.js";
import { isNewScan, SAME_CODE_MS } from "../../static/js/scanner/camera.js";
import { isSearchable } from "../../static/js/scanner/search.js";
import { fill } from "../../static/js/scanner/text.js";

const strings = {
  word_ok: "IN",
  word_warn: "LOOK",
  word_stop: "STOP",
  word_wait: "WAIT",
  word_undone: "UNDONE",
  queue_one: "1 scan waiting",
  queue_many: "{n} scans waiting",
};

test("only a valid ticket is a go; a used one is a warning; everything else stops", () => {
  assert.equal(kindOf("ok"), "ok");
  assert.equal(kindOf("already_checked_in"), "warn");
  for (const result of ["invalid", "unknown", "other_event", "cancelled", "replaced", "waitlisted", "expired"]) {
    assert.equal(kindOf(result), "stop", result);
  }
});

test("each kind has its colour class, icon and word", () => {
  for (const [kind, word] of [
    ["ok", "IN"],
    ["warn", "LOOK"],
    ["stop", "STOP"],
    ["wait", "WAIT"],
    ["undone", "UNDONE"],
  ]) {
    const view = verdictView(kind, "message", strings);
    assert.equal(view.className, "verdict verdict-" + kind);
    assert.equal(view.icon, ICONS[kind]);
    assert.equal(view.word, word);
    assert.equal(view.message, "message");
  }
  assert.notEqual(ICONS.ok, ICONS.stop);
});

test("the waiting line counts the scans that wait", () => {
  assert.equal(queueText(0, strings), "");
  assert.equal(queueText(1, strings), "1 scan waiting");
  assert.equal(queueText(4, strings), "4 scans waiting");
});

test("the camera sees one ticket once, until it has been away a while", () => {
  const last = { code: "A", at: 10000 };
  assert.equal(isNewScan(last, "A", 10000 + SAME_CODE_MS - 1), false);
  assert.equal(isNewScan(last, "A", 10000 + SAME_CODE_MS + 1), true);
  assert.equal(isNewScan(last, "B", 10001), true);
  assert.equal(isNewScan(last, "", 99999), false);
});

test("a search needs two characters, spaces aside", () => {
  assert.equal(isSearchable("j"), false);
  assert.equal(isSearchable(" j "), false);
  assert.equal(isSearchable("jo"), true);
});

test("placeholders are filled, unknown ones kept", () => {
  assert.equal(fill("{n} of {total}", { n: 3 }), "3 of {total}");
});

test("the verdict box shows the view, and only ok, warn and stop beep", () => {
  const parts = { ".verdict-icon": {}, ".verdict-word": {}, ".verdict-message": {} };
  const element = { className: "verdict verdict-idle", querySelector: (selector) => parts[selector] };
  const signals = [];
  const show = createVerdictView({ element, strings, signal: (kind) => signals.push(kind) });
  show("warn", "Already checked in at 19:02");
  assert.equal(element.className, "verdict verdict-warn");
  assert.equal(parts[".verdict-icon"].textContent, ICONS.warn);
  assert.equal(parts[".verdict-word"].textContent, "LOOK");
  assert.equal(parts[".verdict-message"].textContent, "Already checked in at 19:02");
  for (const kind of ["ok", "stop", "wait", "undone"]) show(kind, "m");
  assert.deepEqual(signals, ["warn", "ok", "stop"]);
});
