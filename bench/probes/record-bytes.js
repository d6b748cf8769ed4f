// execute_async_script(): what the records of this origin's wellness0 database hold, as the page
// reads them back (not what the browser's files take): per store, the number of records and the
// bytes of their `data` (sealed: the IV, ciphertext and tag; in the clear: its UTF-8 JSON) and of the
// `text` kept beside a message in the clear for search.
const [done] = arguments;
const open = indexedDB.open("wellness0", 2);
open.onerror = () => done({error: String(open.error)});
open.onsuccess = () => {
  const db = open.result;
  const names = Array.from(db.objectStoreNames);
  const tx = db.transaction(names);
  const encoder = new TextEncoder();
  const size = (v) => v instanceof Uint8Array ? v.length : typeof v === "string" ? encoder.encode(v).length : 0;
  const out = {};
  for (const name of names) {
    tx.objectStore(name).getAll().onsuccess = (e) => {
      const s = (out[name] = {records: 0, data: 0, text: 0, sealed: 0});
      for (const r of e.target.result) {
        s.records++;
        s.data += size(r.data);
        s.text += size(r.text);
        if (r.data instanceof Uint8Array) s.sealed++;
      }
    };
  }
  tx.oncomplete = () => { db.close(); done(out); };
  tx.onerror = () => done({error: String(tx.error)});
};
