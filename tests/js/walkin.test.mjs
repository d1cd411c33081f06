// Walk-ins and the camera's tools, in node: what is sent, and which camera comes next.
import assert from "node:assert/strict";
import { test } from "node:test";

import { hasTorch, otherCamera } from "../../static/js/scanner/camera.js";
import { MAX_PARTY, partySize, walkInBody } from "../../static/js/scanner/walkin.js";

test("a party size is a whole number from 1 to the event's limit", () => {
  assert.equal(partySize("3"), 3);
  assert.equal(partySize(" 1 "), 1);
  assert.equal(partySize(String(MAX_PARTY)), MAX_PARTY);
  for (const bad of ["", "0", "-1", "2.5", "1e1", "abc", "21", "100"]) {
    assert.equal(partySize(bad), null, bad);
  }
  assert.equal(partySize("5", 4), null);
  assert.equal(partySize("4", 4), 4);
});

test("a walk-in's body: its id, its size, a first name or none, the device's times", () => {
  const now = new Date("2026-12-10T03:04:05Z");
  assert.deepEqual(walkInBody({ size: 2, firstName: "  Aidê   María ", clientScanId: "id-0001", now }), {
    client_scan_id: "id-0001",
    party_size: 2,
    first_name: "Aidê María",
    scanned_at: "2026-12-10T03:04:05.000Z",
    sent_at: "2026-12-10T03:04:05.000Z",
  });
  assert.equal(walkInBody({ size: 1, firstName: "   ", clientScanId: "x", now }).first_name, null);
  assert.equal(walkInBody({ size: 1, clientScanId: "x", now }).first_name, null);
});

test("the other camera is the other side where the phone says which side, else the next one", () => {
  const inputs = [{ deviceId: "a" }, { deviceId: "b" }, { deviceId: "c" }];
  assert.deepEqual(otherCamera({ facingMode: "environment", deviceId: "a" }, inputs), {
    facingMode: { exact: "user" },
  });
  assert.deepEqual(otherCamera({ facingMode: "user" }, inputs), { facingMode: { exact: "environment" } });
  assert.deepEqual(otherCamera({ deviceId: "a" }, inputs), { deviceId: { exact: "b" } });
  assert.deepEqual(otherCamera({ deviceId: "c" }, inputs), { deviceId: { exact: "a" } });
  assert.deepEqual(otherCamera({ deviceId: "?" }, inputs), { deviceId: { exact: "a" } });
  // No device ids (no camera permission yet): ask for the front one.
  assert.deepEqual(otherCamera({}, [{ deviceId: "" }]), { facingMode: { exact: "user" } });
});

test("the flashlight button shows only for a track with the torch capability", () => {
  assert.equal(hasTorch({ getCapabilities: () => ({ torch: true }) }), true);
  assert.equal(hasTorch({ getCapabilities: () => ({ width: {} }) }), false);
  assert.equal(hasTorch({}), false); // Firefox: no getCapabilities
  assert.equal(hasTorch(undefined), false);
});
