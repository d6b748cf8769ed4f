// Thin IndexedDB, BroadcastChannel and Web Locks bindings for wellness0 (src/db/idb.rs wraps them).
// Records are plain objects whose `data` field holds the record's JSON (written and read by Rust);
// a few fields beside it (keys, `text`) exist so that IndexedDB can index and range over them.
//
// With a passcode, records are sealed here, on their way in and out: `data` is stored as AES-GCM
// ciphertext (12-byte IV, then ciphertext and tag) under a key derived from the passcode, and a
// message's `text` (plaintext kept for search) is not stored at all. The key is a non-extractable
// CryptoKey that lives only in this module, only while the app is unlocked.

const NAME = "wellness0";
// 2: the sync ledger (what this device sent and took in, and what waits to be sent).
const VERSION = 2;

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
  request.onupgradeneeded = (event) => {
    const db = request.result;
    if (event.oldVersion < 1) {
      db.createObjectStore("sessions", { keyPath: "id" });
      db.createObjectStore("messages", { keyPath: ["session", "id"] });
      db.createObjectStore("drafts", { keyPath: "session" });
      db.createObjectStore("meta", { keyPath: "key" });
    }
    if (event.oldVersion < 2) db.createObjectStore("sync", { keyPath: "key" });
  };
  // Another tab still holds an older version open: it is told to close (see onversionchange).
  request.onblocked = () => {};
  return done(request).then((db) => {
    db.onversionchange = () => db.close();
    return db;
  });
}

// This tab's writes not yet committed. IndexedDB runs transactions in the order they are
// created, but a write creates its own only once it holds the vault lock; a read waits for the
// writes started before it, so a tab always reads what it wrote.
let writing = Promise.resolve();

function tracked(write) {
  const settled = write.catch(() => {});
  const before = writing;
  writing = before.then(() => settled);
  return write;
}

export async function get(db, store, key) {
  await gate;
  await writing;
  const record = await done(db.transaction(store).objectStore(store).get(key));
  return record === undefined ? undefined : openRecord(record, sealKey);
}

// Every record of `store`, or those whose key lies between `lower` and `upper` (both included).
// A record that cannot be opened (sealed under a key this tab does not hold) is left out, not
// allowed to take the others with it.
export async function getAll(db, store, lower, upper) {
  await gate;
  await writing;
  const range = lower === undefined ? undefined : IDBKeyRange.bound(lower, upper);
  const records = await done(db.transaction(store).objectStore(store).getAll(range));
  const opened = await Promise.allSettled(records.map((r) => openRecord(r, sealKey)));
  const readable = opened.filter((o) => o.status === "fulfilled").map((o) => o.value);
  if (readable.length < records.length) console.warn(`wellness0: ${records.length - readable.length} records could not be opened`);
  return readable;
}

// Applies `ops` in one transaction, in their order: [store, record] puts a record, [store, key,
// upper] deletes the key (upper undefined) or every key from `key` to `upper`. All or nothing. Rejects with the browser's error (e.g.
// QuotaExceededError).
export async function write(db, stores, ops) {
  await gate;
  return asWrite(async () => {
    const key = sealKey;
    // Sealed before the transaction opens: it would commit while waiting on the cipher.
    const sealed = await Promise.all(
      ops.map(async (op) => (op.length === 2 ? [op[0], await sealRecord(op[1], key)] : op)),
    );
    const tx = db.transaction([...new Set([...stores, "meta"])], "readwrite");
    guardVault(tx);
    for (const op of sealed) {
      const objects = tx.objectStore(op[0]);
      if (op.length === 2) objects.put(op[1]);
      else objects.delete(op[2] === undefined ? op[1] : IDBKeyRange.bound(op[1], op[2]));
    }
    return finished(tx);
  });
}

// Reads one record and writes back what `change` makes of it, so two tabs changing the same
// record never lose each other's change. `change(data or undefined)` returns the new `data`
// string (or undefined to leave the record as it is); the record's other fields are kept, and
// `fields` (its key fields) are set. In the clear this is one transaction; sealed, the cipher
// cannot run inside one, so it holds a lock on the record across tabs instead.
export async function update(db, store, key, fields, change) {
  await gate;
  return asWrite(async () => {
    if (!sealKey) {
      const tx = db.transaction([store, "meta"], "readwrite");
      guardVault(tx);
      const objects = tx.objectStore(store);
      const request = objects.get(key);
      request.onsuccess = () => {
        const data = change(request.result ? request.result.data : undefined);
        if (data !== undefined) objects.put(Object.assign({}, request.result, fields, { data }));
      };
      return finished(tx);
    }
    return withLock(`${NAME}-update-${store}-${JSON.stringify(key)}`, false, async () => {
      const k = sealKey;
      const stored = await done(db.transaction(store).objectStore(store).get(key));
      const record = stored === undefined ? undefined : await openRecord(stored, k);
      const data = change(record ? record.data : undefined);
      if (data === undefined) return;
      const sealed = await sealRecord(Object.assign({}, record, fields, { data }), k);
      const tx = db.transaction([store, "meta"], "readwrite");
      guardVault(tx);
      tx.objectStore(store).put(sealed);
      await finished(tx);
    });
  });
}

// ---- The vault this tab writes under ----
//
// Another tab may set, change or remove the passcode. This tab learns of it by a message that
// can come late; meanwhile it must not write with the old key (or none). So every write holds a
// shared Web Lock that re-sealing the store holds exclusively (no write lands in the middle of
// it), and checks, in its own transaction, that the vault record is still the one this tab
// opened the data under; if not, the write is undone and the page starts again.

// The salt of the vault this tab opened the data under (null: in the clear; undefined: not read).
let epoch = undefined;

function saltOf(vault) {
  return vault ? vault.salt : null;
}

// Runs `work` holding the vault lock: "shared" by every write, "exclusive" by re-sealing.
function holdingVault(mode, work) {
  return navigator.locks ? navigator.locks.request(`${NAME}-vault`, { mode }, work) : work();
}

// A write: under the vault lock, and waited for by this tab's later reads.
function asWrite(work) {
  return tracked(holdingVault("shared", work));
}

function guardVault(tx) {
  const request = tx.objectStore("meta").get(VAULT_KEY);
  request.onsuccess = () => {
    const salt = saltOf(request.result);
    if (epoch === undefined) epoch = salt;
    if (salt === epoch) return;
    tx.abort();
    // The passcode changed in another tab: this one holds the wrong key. Start again, on the
    // lock screen (or in the clear, if it was removed).
    location.reload();
  };
}

// ---- Encryption at rest ----

const STORES = ["sessions", "messages", "drafts", "meta", "sync"];
// The record holding the passcode's salt, KDF settings and check value (never sealed itself).
const VAULT_KEY = "vault";
const CHECK = "wellness0 vault check";
// OWASP's floor for PBKDF2-HMAC-SHA256.
const MIN_ITERATIONS = 600000;
// Records sealed, or put, between two turns of the page while the whole store is sealed again.
const SLICE = 500;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The key records are sealed with while unlocked (null: stored in the clear).
let sealKey = null;
// Reads and writes wait while every record is being sealed again under another key.
let gate = Promise.resolve();

async function seal(key, text) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(text)));
  const out = new Uint8Array(12 + body.length);
  out.set(iv);
  out.set(body, 12);
  return out;
}

// Rejects (OperationError) when the key is not the one it was sealed with, or it was altered.
async function unseal(key, bytes) {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12) }, key, bytes.subarray(12));
  return decoder.decode(plain);
}

async function sealRecord(record, key) {
  if (!key || record.key === VAULT_KEY) return record;
  const sealed = Object.assign({}, record, { data: await seal(key, record.data) });
  delete sealed.text;
  return sealed;
}

// A record as Rust wrote it. Records still in the clear (written before the passcode was set,
// by a tab that had not yet heard of it) read as they are.
async function openRecord(record, key) {
  if (!(record.data instanceof Uint8Array)) return record;
  if (!key) throw new DOMException("locked", "InvalidStateError");
  return Object.assign({}, record, { data: await unseal(key, record.data) });
}

function base64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function unbase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function deriveKey(passcode, salt, iterations) {
  // One passcode, one key, however the keyboard composed its accents.
  const material = await crypto.subtle.importKey("raw", encoder.encode(passcode.normalize("NFC")), "PBKDF2", false, [
    "deriveKey",
  ]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

// The passcode's record ({salt, iterations, check}) or undefined when there is no passcode.
export async function vaultRecord(db) {
  await gate;
  const vault = await done(db.transaction("meta").objectStore("meta").get(VAULT_KEY));
  // The first read is the state this tab starts in; later, only an unlock moves it (a failed
  // one must not: the tab would then write under its old key unchecked).
  if (epoch === undefined) epoch = saltOf(vault);
  return vault;
}

// Whether `passcode` opens the vault; if it does, records are read and written with its key
// from now on. Nothing is decrypted with a wrong passcode.
export async function unlock(db, passcode) {
  const vault = await vaultRecord(db);
  if (!vault) return true;
  // The count on disk is trusted no lower than the floor: a lowered one would make guessing cheap.
  const key = await deriveKey(passcode, unbase64(vault.salt), Math.max(vault.iterations, MIN_ITERATIONS));
  try {
    if ((await unseal(key, unbase64(vault.check))) !== CHECK) return false;
  } catch {
    return false;
  }
  sealKey = key;
  epoch = saltOf(vault);
  return true;
}

// Seals every record again: under a new passcode (`passcode`: a string), or in the clear
// (`passcode`: null or undefined). The caller has unlocked with the current passcode, if any. All the
// records and the vault record are rewritten in one transaction: all or nothing, so the data
// and the passcode that opens it never part.
export function rekey(db, passcode, iterations) {
  const run = gate.then(() => holdingVault("exclusive", async () => {
    let next = null;
    let vault = null;
    if (passcode != null) {  // a string; null or undefined: the clear
      const salt = crypto.getRandomValues(new Uint8Array(16));
      next = await deriveKey(passcode, salt, iterations);
      vault = { key: VAULT_KEY, salt: base64(salt), iterations, check: base64(await seal(next, CHECK)) };
    }
    const read = db.transaction(STORES);
    const all = await Promise.all(STORES.map((s) => done(read.objectStore(s).getAll())));
    // Another tab changed the passcode first (its message may not be here yet): this tab's key
    // opens nothing any more, and sealing under it would lose everything. Start again instead.
    const stored = all[STORES.indexOf("meta")].find((r) => r.key === VAULT_KEY);
    if (epoch !== undefined && saltOf(stored) !== epoch) {
      location.reload();
      throw new Error("the passcode was changed in another tab");
    }
    const puts = [];
    for (const [i, store] of STORES.entries()) {
      for (const record of all[i]) {
        if (record.key === VAULT_KEY) continue;
        let plain;
        try {
          plain = await openRecord(record, sealKey);
        } catch {
          // Sealed under a key nobody holds any more: kept as it is rather than dropped.
          puts.push([store, record]);
          continue;
        }
        // Back in the clear, a message gets its search text again.
        if (!next && store === "messages" && plain.text === undefined) plain.text = JSON.parse(plain.data).text;
        puts.push([store, await sealRecord(plain, next)]);
        // Awaiting the cipher alone never lets the page run: give it a turn now and then.
        if (puts.length % SLICE === 0) await new Promise((resolve) => setTimeout(resolve));
      }
    }
    // One transaction, so it is all or nothing; its puts are made a slice at a time, each slice
    // from the success of the one before (that keeps the transaction open and the page responsive).
    const tx = db.transaction(STORES, "readwrite");
    const meta = tx.objectStore("meta");
    const putFrom = (start) => {
      let last = null;
      for (const [store, record] of puts.slice(start, start + SLICE)) last = tx.objectStore(store).put(record);
      if (last && start + SLICE < puts.length) last.onsuccess = () => putFrom(start + SLICE);
    };
    putFrom(0);
    if (vault) meta.put(vault);
    else meta.delete(VAULT_KEY);
    await finished(tx);
    sealKey = next;
    epoch = saltOf(vault);
  }));
  gate = run.catch(() => {});
  return run;
}

// A short value sealed with the current key, as text (for localStorage); in the clear without one.
export async function sealText(text) {
  return sealKey ? "w0sealed:" + base64(await seal(sealKey, text)) : text;
}

// A value from `sealText`, opened (rejects when it cannot be).
export async function openText(text) {
  if (!text.startsWith("w0sealed:")) return text;
  if (!sealKey) throw new DOMException("locked", "InvalidStateError");
  return unseal(sealKey, unbase64(text.slice("w0sealed:".length)));
}

export function isSealing() {
  return sealKey !== null;
}

// Every wellness0 database on this device, gone (a forgotten passcode).
export function erase(db) {
  db.close();
  return done(indexedDB.deleteDatabase(NAME));
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
