// execute_async_script(spec): what the passcode's cryptography costs on its own, in this page, with
// WebCrypto as src/db/idb.js uses it. spec = {reps, iterations, records, chars}:
// - kdf: spec.reps derivations one after the other, each timed: import the passcode as PBKDF2 key
//   material, derive a non-extractable AES-GCM 256 key (PBKDF2-SHA256, `iterations`, a fresh random
//   16-byte salt), as the app's deriveKey does (ms each);
// - then `records` values of `chars` characters (JSON-like text) sealed one after the other, each
//   awaited (how the app's rekey seals: ms in all), and opened all at once, Promise.all over the
//   decrypts (how the app's getAll opens a session's messages: ms in all); none when `records` is 0.
const [spec, done] = arguments;
const encoder = new TextEncoder();
const derive = async (passcode, salt) => {
  const material = await crypto.subtle.importKey("raw", encoder.encode(passcode), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({name: "PBKDF2", hash: "SHA-256", salt, iterations: spec.iterations}, material,
                                 {name: "AES-GCM", length: 256}, false, ["encrypt", "decrypt"]);
};
(async () => {
  const kdf = [];
  let key = null;
  for (let i = 0; i < spec.reps; i++) {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const t0 = performance.now();
    key = await derive(`bench passcode ${i}`, salt);
    kdf.push(performance.now() - t0);
  }
  if (!spec.records) return done({kdf});
  const words = "I slept badly again last night and woke up at four with my heart racing ";
  const text = (i) => JSON.stringify({id: i, role: i % 2 ? "model" : "user", state: "done",
                                      text: (words.repeat(Math.ceil(spec.chars / words.length))).slice(0, spec.chars)});
  const sealed = [];
  let t0 = performance.now();
  for (let i = 0; i < spec.records; i++) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const body = new Uint8Array(await crypto.subtle.encrypt({name: "AES-GCM", iv}, key, encoder.encode(text(i))));
    const out = new Uint8Array(12 + body.length);
    out.set(iv);
    out.set(body, 12);
    sealed.push(out);
  }
  const sealSerial = performance.now() - t0;
  const decoder = new TextDecoder();
  t0 = performance.now();
  const opened = await Promise.all(sealed.map((b) => crypto.subtle.decrypt({name: "AES-GCM", iv: b.subarray(0, 12)},
                                                                           key, b.subarray(12)).then((p) => decoder.decode(p))));
  const openAll = performance.now() - t0;
  if (opened.length !== spec.records || !opened[0].startsWith("{")) return done({error: "decrypt failed"});
  done({kdf, sealSerial, openAll, records: spec.records, chars: text(0).length});
})().catch((e) => done({error: String(e)}));
