// Thin IndexedDB, BroadcastChannel and Web Locks bindings for wellness0 (src/db/idb.rs wraps them).
// Records are plain objects whose `data` field holds the record's JSON (written and read by Rust);
// a few fields beside it (keys, `text`) exist so that IndexedDB can index and range over them.

const NAME = "wellness0";
const VERSION = 1;

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new DOMException("aborted", "AbortError"));
  });
}

export function open() {
  if (!globalThis.indexedDB) return Promise.reject(new DOMException("no IndexedDB", "UnknownError"));
  const request = indexedDB.open(NAME, VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore("sessions", { keyPath: "id" });
    db.createObjectStore("messages", { keyPath: ["session", "id"] });
    db.createObjectStore("drafts", { keyPath: "session" });
    db.createObjectStore("meta", { keyPath: "key" });
  };
  // Another tab still holds an older version open: it is told to close (see onversionchange).
  request.onblocked = () => {};
  return done(request).then((db) => {
    db.onversionchange = () => db.close();
    return db;
  });
}

export function get(db, store, key) {
  return done(db.transaction(store).objectStore(store).get(key));
}

// Every record of `store`, or those whose key lies between `lower` and `upper` (both included).
export function getAll(db, store, lower, upper) {
  const range = lower === undefined ? undefined : IDBKeyRange.bound(lower, upper);
  return done(db.transaction(store).objectStore(store).getAll(range));
}

// Writes `puts` (records) and deletes `deletes` ([store, key] or [store, lower, upper]) in one
// transaction: all or nothing. Rejects with the browser's error (e.g. QuotaExceededError).
export function write(db, stores, puts, deletes) {
  const tx = db.transaction(stores, "readwrite");
  for (const [store, record] of puts) tx.objectStore(store).put(record);
  for (const [store, lower, upper] of deletes) {
    tx.objectStore(store).delete(upper === undefined ? lower : IDBKeyRange.bound(lower, upper));
  }
  return finished(tx);
}

// Reads one record and writes back what `change` makes of it, in one transaction, so two tabs
// changing the same record never lose each other's change. `change(data or undefined)` returns
// the new `data` string (or undefined to leave the record as it is); the record's other fields
// are kept, and `fields` (its key fields) are set.
export function update(db, store, key, fields, change) {
  const tx = db.transaction(store, "readwrite");
  const objects = tx.objectStore(store);
  const request = objects.get(key);
  request.onsuccess = () => {
    const data = change(request.result ? request.result.data : undefined);
    if (data !== undefined) objects.put(Object.assign({}, request.result, fields, { data }));
  };
  return finished(tx);
}

export function persist() {
  return navigator.storage && navigator.storage.persist ? navigator.storage.persist() : Promise.resolve(false);
}

// [bytes used, bytes available] as the browser estimates them.
export function estimate() {
  if (!navigator.storage || !navigator.storage.estimate) return Promise.resolve([0, 0]);
  return navigator.storage.estimate().then((e) => [e.usage || 0, e.quota || 0]);
}

let channel = null;

// Tells the other tabs what changed, and hears what they changed (a JSON string each way).
export function announce(message) {
  if (globalThis.BroadcastChannel) (channel ||= new BroadcastChannel(NAME)).postMessage(message);
}

export function listen(onMessage) {
  if (!globalThis.BroadcastChannel) return;
  channel ||= new BroadcastChannel(NAME);
  channel.onmessage = (event) => onMessage(event.data);
}

// Runs `work` (returning a Promise) holding the lock `name` across every tab of this site, or
// does nothing when `ifAvailable` and another tab holds it. Resolves to whether it ran.
export function withLock(name, ifAvailable, work) {
  if (!navigator.locks) return work().then(() => true);
  return navigator.locks.request(name, { ifAvailable }, (lock) => (lock ? work().then(() => true) : false));
}
