// What the door keeps on the phone: a tiny key/value store in IndexedDB.
//
// One database ("eventsvc-door"), one object store, values by key: per event the snapshot of
// tickets (ids, fingerprints, states: no names) and the queue of scans (scan ids, codes or ticket
// ids, times: no names). The memory store has the same interface, for node tests and for
// browsers without IndexedDB (there a reload loses what was not sent: nothing better is left).

export const DB_NAME = "eventsvc-door";
export const STORE_NAME = "kv";
/** Where the scanner kept its queue before IndexedDB (one key per event). */
export const LEGACY_QUEUE_PREFIX = "eventsvc.door.queue.";

/** Return a store held in this page's memory: `get`, `set`, `delete`, `keys`, all async. */
export function memoryStore() {
  const data = new Map();
  // Values are copied in and out, as IndexedDB's structured clone would: no shared objects.
  const copy = (value) => (value === undefined ? undefined : structuredClone(value));
  return {
    kind: "memory",
    get: async (key) => copy(data.get(key)),
    set: async (key, value) => void data.set(key, copy(value)),
    delete: async (key) => void data.delete(key),
    keys: async () => [...data.keys()],
  };
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openWithStore(indexedDB, name, version) {
  const opening = indexedDB.open(name, version);
  opening.onupgradeneeded = () => {
    if (!opening.result.objectStoreNames.contains(STORE_NAME)) {
      opening.result.createObjectStore(STORE_NAME);
    }
  };
  return done(opening);
}

/**
 * Open the IndexedDB store (`indexedDB`: the browser's factory). Resolve with the store, or with
 * a memory store when the browser has none or refuses it (some private modes).
 */
export async function openStore({ indexedDB = globalThis.indexedDB, name = DB_NAME } = {}) {
  if (!indexedDB) return memoryStore();
  let db;
  try {
    db = await openWithStore(indexedDB, name, 1);
    if (!db.objectStoreNames.contains(STORE_NAME)) {
      // The database was made without its store (opened elsewhere with no version first):
      // only a version change may add it.
      const version = db.version + 1;
      db.close();
      db = await openWithStore(indexedDB, name, version);
    }
  } catch {
    return memoryStore();
  }
  // One transaction per call: IndexedDB runs read-write transactions on one store in the order
  // they were made, so the last `set` of a key is the one that stays.
  const run = (mode, action) => {
    const tx = db.transaction(STORE_NAME, mode);
    const result = done(action(tx.objectStore(STORE_NAME)));
    const committed = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = tx.onerror = () => reject(tx.error);
    });
    return mode === "readonly" ? result : committed.then(() => result);
  };
  return {
    kind: "indexeddb",
    get: (key) => run("readonly", (s) => s.get(key)),
    set: (key, value) => run("readwrite", (s) => s.put(value, key)).then(() => undefined),
    delete: (key) => run("readwrite", (s) => s.delete(key)).then(() => undefined),
    keys: () => run("readonly", (s) => s.getAllKeys()),
  };
}

/** Return the store key of an event's queue of scans. */
export const queueKey = (eventId) => "queue." + eventId;
/** Return the store key of an event's snapshot. */
export const snapshotKey = (eventId) => "snapshot." + eventId;
/** Return the store key of the admissions this phone made offline at an event. */
export const localKey = (eventId) => "local." + eventId;

/**
 * Move a queue left in localStorage by the previous scanner into the store, once: its scans are
 * put after those already in the store (none twice), then the old key is removed. Resolve with
 * how many scans moved.
 */
export async function migrateLegacyQueue(store, storage, eventId) {
  const legacyKey = LEGACY_QUEUE_PREFIX + eventId;
  let raw;
  try {
    raw = storage && storage.getItem(legacyKey);
  } catch {
    return 0; // localStorage refused (a privacy setting): there is nothing to move
  }
  if (raw === null || raw === undefined) return 0;
  let legacy = [];
  try {
    const parsed = JSON.parse(raw);
    legacy = Array.isArray(parsed) ? parsed : [];
  } catch {
    // A damaged old queue: nothing in it can be sent.
  }
  const stored = (await store.get(queueKey(eventId))) || [];
  const known = new Set(stored.map((s) => s.client_scan_id));
  const moved = legacy.filter((s) => s && s.client_scan_id && !known.has(s.client_scan_id) && (s.code || s.ticket_id));
  if (moved.length) {
    const scans = moved.map(({ client_scan_id, code, ticket_id, scanned_at }) =>
      code ? { client_scan_id, code, scanned_at } : { client_scan_id, ticket_id, scanned_at },
    );
    await store.set(queueKey(eventId), [...stored, ...scans]);
  }
  storage.removeItem(legacyKey); // only once the scans are safe in the store
  return moved.length;
}
