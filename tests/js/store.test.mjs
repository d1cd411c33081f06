// What the door keeps on the phone, in node: the memory store (IndexedDB's stand-in) and the
// one-time move of the old localStorage queue.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  LEGACY_QUEUE_PREFIX,
  localKey,
  memoryStore,
  migrateLegacyQueue,
  openStore,
  queueKey,
  snapshotKey,
} from "../../static/js/scanner/store.js";

function fakeLocalStorage(initial = {}) {
  const data = { ...initial };
  return {
    getItem: (k) => (k in data ? data[k] : null),
    setItem: (k, v) => (data[k] = String(v)),
    removeItem: (k) => delete data[k],
    data,
  };
}

test("the memory store gets, sets, deletes and lists keys, all async", async () => {
  const store = memoryStore();
  assert.equal(await store.get("a"), undefined);
  await store.set("a", { n: 1 });
  await store.set("b", [1, 2]);
  assert.deepEqual(await store.get("a"), { n: 1 });
  assert.deepEqual((await store.keys()).sort(), ["a", "b"]);
  await store.delete("a");
  assert.equal(await store.get("a"), undefined);
  assert.deepEqual(await store.keys(), ["b"]);
});

test("values are copies, as IndexedDB's: changing one later changes nothing stored", async () => {
  const store = memoryStore();
  const value = { list: [1] };
  await store.set("k", value);
  value.list.push(2);
  const read = await store.get("k");
  assert.deepEqual(read, { list: [1] });
  read.list.push(3);
  assert.deepEqual(await store.get("k"), { list: [1] });
});

test("a browser without IndexedDB gets the memory store", async () => {
  const store = await openStore({ indexedDB: null });
  assert.equal(store.kind, "memory");
  const refusing = {
    open() {
      const request = {};
      queueMicrotask(() => {
        request.error = new Error("refused");
        request.onerror();
      });
      return request;
    },
  };
  assert.equal((await openStore({ indexedDB: refusing })).kind, "memory");
});

test("each event has its own keys", () => {
  assert.equal(queueKey(12), "queue.12");
  assert.equal(snapshotKey(12), "snapshot.12");
  assert.equal(localKey(12), "local.12");
});

test("the old localStorage queue moves into the store once, after what is there, none twice", async () => {
  const store = memoryStore();
  await store.set(queueKey(12), [{ client_scan_id: "s1", code: "A", scanned_at: "t1" }]);
  const storage = fakeLocalStorage({
    [LEGACY_QUEUE_PREFIX + "12"]: JSON.stringify([
      { client_scan_id: "s1", code: "A", scanned_at: "t1" },
      { client_scan_id: "s2", ticket_id: 7, scanned_at: "t2", name: "Aidê" },
      { client_scan_id: "s3", code: "C", scanned_at: "t3" },
    ]),
    [LEGACY_QUEUE_PREFIX + "13"]: "[]",
  });
  assert.equal(await migrateLegacyQueue(store, storage, 12), 2);
  assert.deepEqual(await store.get(queueKey(12)), [
    { client_scan_id: "s1", code: "A", scanned_at: "t1" },
    { client_scan_id: "s2", ticket_id: 7, scanned_at: "t2" },
    { client_scan_id: "s3", code: "C", scanned_at: "t3" },
  ]);
  assert.equal(storage.getItem(LEGACY_QUEUE_PREFIX + "12"), null, "the old key is gone");
  assert.equal(storage.getItem(LEGACY_QUEUE_PREFIX + "13"), "[]", "another event's is not touched");
  assert.equal(await migrateLegacyQueue(store, storage, 12), 0, "once");
  assert.equal((await store.get(queueKey(12))).length, 3);
});

test("a damaged old queue is removed and moves nothing", async () => {
  const store = memoryStore();
  const storage = fakeLocalStorage({ [LEGACY_QUEUE_PREFIX + "12"]: "{not json" });
  assert.equal(await migrateLegacyQueue(store, storage, 12), 0);
  assert.equal(storage.getItem(LEGACY_QUEUE_PREFIX + "12"), null);
  assert.equal(await store.get(queueKey(12)), undefined);
});
