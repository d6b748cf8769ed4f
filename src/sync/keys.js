// The keys of sync and the records' encryption, in WebCrypto only (src/sync/keys.rs wraps it).
// docs/sync.md is the design: the sign-in page derives the wrapping key from the password and
// hands it over in this tab's sessionStorage; a random data key, wrapped by it and by the
// recovery key, is kept on the server; from the data key come the record key (AES-256-GCM) and
// the naming key (HMAC-SHA256). Keys cross into Rust only as base64url text to be stored (the
// data key, sealed under the passcode like every other secret); the record and naming keys are
// non-extractable CryptoKeys that live only in this module.

const HANDOFF = "wellness0.signin-wrap";
const WRAP_AD = "wellness0 data key v1";
const RECOVERY_INFO = "wellness0 recovery v1";
const RECORD_INFO = "wellness0 records v1";
const NAMING_INFO = "wellness0 names v1";
const RECORD_AD = "wellness0-sync v1";
// The associated data of a record whose plaintext was compressed (raw DEFLATE) before sealing:
// text compresses to about half, which more than pays for base64, the nonce and the tag.
const RECORD_AD_DEFLATED = "wellness0-sync v2";
const enc = new TextEncoder();
const dec = new TextDecoder();

function b64(bytes) {
  const view = new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < view.length; i += 0x8000) s += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64(text) {
  return Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
}

function hex(text) {
  return Uint8Array.from(text.match(/../g), (h) => parseInt(h, 16));
}

// The wrapping key the sign-in page left for the app: {name, key} as JSON text, taken (removed)
// so it sits in sessionStorage no longer than it must; null when there is none.
export function takeHandoff() {
  let text = null;
  try {
    text = sessionStorage.getItem(HANDOFF);
    sessionStorage.removeItem(HANDOFF);
  } catch {}
  return text;
}

async function aes(raw) {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

// nonce ‖ AES-GCM(key, plain, ad), base64url.
async function wrap(key, plain, ad) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(ad) }, key, plain));
  const out = new Uint8Array(12 + body.length);
  out.set(iv);
  out.set(body, 12);
  return b64(out);
}

// Rejects (OperationError) under another key or when the bytes were altered.
async function unwrap(key, text, ad) {
  const bytes = unb64(text);
  const iv = bytes.subarray(0, 12);
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: enc.encode(ad) }, key, bytes.subarray(12)));
}

async function recoveryKey(codeHex) {
  const material = await crypto.subtle.importKey("raw", hex(codeHex), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: enc.encode(RECOVERY_INFO) },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

// A new data key: JSON {dataKey, code, body} — the key (base64url), the recovery code (32 hex
// digits, shown once) and the body kept on the server ({v, wrapped, recovery}).
export async function createDataKey(wrapKey) {
  const dataKey = crypto.getRandomValues(new Uint8Array(32));
  const code = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  const body = {
    v: 1,
    wrapped: await wrap(await aes(unb64(wrapKey)), dataKey, WRAP_AD),
    recovery: await wrap(await recoveryKey(code), dataKey, WRAP_AD),
  };
  return JSON.stringify({ dataKey: b64(dataKey), code, body });
}

// The data key (base64url) from the server's body (JSON text), with the wrapping key; rejects
// when this password's key does not open it.
export async function unwrapDataKey(wrapKey, bodyJson) {
  return b64(await unwrap(await aes(unb64(wrapKey)), JSON.parse(bodyJson).wrapped, WRAP_AD));
}

// The data key from the recovery code (32 hex digits); rejects when the code does not open it.
export async function recoverDataKey(codeHex, bodyJson) {
  return b64(await unwrap(await recoveryKey(codeHex), JSON.parse(bodyJson).recovery, WRAP_AD));
}

// The server's body (JSON text) with the data key wrapped anew by `wrapKey` (after the password
// changed, or a recovery): the recovery wrapping is kept. No record is encrypted again.
export async function rewrap(dataKey, wrapKey, bodyJson) {
  const body = JSON.parse(bodyJson);
  body.wrapped = await wrap(await aes(unb64(wrapKey)), unb64(dataKey), WRAP_AD);
  return JSON.stringify(body);
}

let recordKey = null;
let namingKey = null;

// Records are sealed and opened with this data key (base64url) from now on.
export async function useDataKey(dataKey) {
  const material = await crypto.subtle.importKey("raw", unb64(dataKey), "HKDF", false, ["deriveKey"]);
  const hkdf = (info) => ({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: enc.encode(info) });
  recordKey = await crypto.subtle.deriveKey(hkdf(RECORD_INFO), material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  namingKey = await crypto.subtle.deriveKey(hkdf(NAMING_INFO), material, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]);
}

export function dropDataKey() {
  recordKey = null;
  namingKey = null;
}

async function opaque(logical) {
  return b64(await crypto.subtle.sign("HMAC", namingKey, enc.encode(logical)));
}

// Whether this browser compresses raw DEFLATE (Chromium before 103 has CompressionStream, but
// not this format).
function canDeflate() {
  try {
    new CompressionStream("deflate-raw");
    return true;
  } catch {
    return false;
  }
}

async function through(bytes, transform) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(transform)).arrayBuffer());
}

// Records to push: JSON [[logical key, clock, value or null]] → JSON [{key, clock, data}], where
// `data` holds {k: logical key, v: value}, deflated where the browser can, sealed with the
// record's key and clock as associated data (a record moved to another key or clock does not
// open; the version in it says whether to inflate).
export async function sealRecords(json) {
  if (!recordKey) throw new DOMException("no data key", "InvalidStateError");
  const deflates = canDeflate();
  // All at once: the browser runs the cipher off this thread, several records side by side.
  const sealed = JSON.parse(json).map(async ([logical, clock, value]) => {
    const key = await opaque(logical);
    const plain = enc.encode(JSON.stringify({ k: logical, v: value }));
    const data = deflates
      ? await wrap(recordKey, await through(plain, new CompressionStream("deflate-raw")), `${RECORD_AD_DEFLATED} | ${key} | ${clock}`)
      : await wrap(recordKey, plain, `${RECORD_AD} | ${key} | ${clock}`);
    return { key, clock, data };
  });
  return JSON.stringify(await Promise.all(sealed));
}

// The plaintext of a record's `data`: deflated (v2) or as it was (v1).
async function openData(key, clock, data) {
  let deflated;
  try {
    deflated = await unwrap(recordKey, data, `${RECORD_AD_DEFLATED} | ${key} | ${clock}`);
  } catch {
    return unwrap(recordKey, data, `${RECORD_AD} | ${key} | ${clock}`);
  }
  return through(deflated, new DecompressionStream("deflate-raw"));
}

// Pulled records: JSON [{key, clock, data}] → JSON {records: [[logical, clock, value]], unreadable: n}.
// A record that does not open, or whose logical key does not name it, is counted, not applied.
export async function openRecords(json) {
  if (!recordKey) throw new DOMException("no data key", "InvalidStateError");
  const opened = await Promise.all(
    JSON.parse(json).map(async ({ key, clock, data }) => {
      try {
        const plain = JSON.parse(dec.decode(await openData(key, clock, data)));
        if (typeof plain.k !== "string" || (await opaque(plain.k)) !== key) return null;
        return [plain.k, clock, plain.v === undefined ? null : plain.v];
      } catch {
        return null;
      }
    }),
  );
  const records = opened.filter((r) => r !== null);
  return JSON.stringify({ records, unreadable: opened.length - records.length });
}

// Calls `onSeq(n)` each time the server says the person's records reached sequence number n
// (Server-Sent Events; the browser reconnects by itself). Returns a function that closes it.
export function listenChanges(url, onSeq, onOpen) {
  if (!globalThis.EventSource) return () => {};
  const source = new EventSource(url);
  source.addEventListener("changed", (event) => {
    try {
      onSeq(JSON.parse(event.data).seq);
    } catch {}
  });
  source.onopen = () => onOpen();
  return () => source.close();
}
