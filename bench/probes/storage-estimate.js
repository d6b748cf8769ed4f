// execute_async_script(recount): the browser's estimate of this origin's storage (bytes; usageDetails
// is Chromium's split by kind, e.g. indexedDB). Chromium counts IndexedDB's files when a transaction
// commits, and not again when its database later compacts them in the background; with `recount`, an
// empty write first (a bench key put and deleted in `meta`, one transaction) makes it count them now.
const [recount, done] = arguments;
const estimate = () => navigator.storage.estimate().then(
  (e) => done({usage: e.usage, quota: e.quota, details: e.usageDetails || null}), (e) => done({error: String(e)}));
if (!recount) estimate();
else {
  const open = indexedDB.open("wellness0", 2);
  open.onerror = () => done({error: String(open.error)});
  open.onsuccess = () => {
    const db = open.result;
    const tx = db.transaction("meta", "readwrite");
    tx.objectStore("meta").put({key: "w0bench.recount"});
    tx.objectStore("meta").delete("w0bench.recount");
    tx.oncomplete = () => { db.close(); estimate(); };
    tx.onerror = () => done({error: String(tx.error)});
  };
}
