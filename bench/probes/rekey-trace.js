// execute_script(): watches, in this page, the calls the app's re-encryption makes (idb.js rekey), by
// wrapping the browser's own methods (the app's code is not touched): the key derivation, every
// getAll (when it was asked and answered, how many records), every encrypt and decrypt (first call,
// last answer), and for each read-write transaction its put() calls (first, last) and when it
// completed. Times in performance.now(); the bench reads them back from window.__w0.trace.
const t = (window.__w0.trace = {derive: [], getAll: [], cipher: {encrypt: [0, null, null], decrypt: [0, null, null]},
                                txs: []});
if (window.__w0.traceInstalled) return true;
window.__w0.traceInstalled = true;
const now = () => performance.now();
const S = SubtleCrypto.prototype;
const deriveKey = S.deriveKey;
S.deriveKey = function (...a) {
  const row = [now(), null];
  window.__w0.trace.derive.push(row);
  return deriveKey.apply(this, a).then((k) => { row[1] = now(); return k; });
};
for (const op of ["encrypt", "decrypt"]) {
  const orig = S[op];
  S[op] = function (...a) {
    const c = window.__w0.trace.cipher[op];
    c[0]++;
    if (c[1] === null) c[1] = now();
    return orig.apply(this, a).then((r) => { c[2] = now(); return r; });
  };
}
const O = IDBObjectStore.prototype;
const getAll = O.getAll;
O.getAll = function (...a) {
  const row = [now(), null, 0];
  window.__w0.trace.getAll.push(row);
  const request = getAll.apply(this, a);
  request.addEventListener("success", () => { row[1] = now(); row[2] = request.result.length; });
  return request;
};
const txInfo = new WeakMap();
const transaction = IDBDatabase.prototype.transaction;
IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
  const tx = transaction.call(this, stores, mode, ...rest);
  if (mode === "readwrite") {
    const info = {created: now(), puts: 0, firstPut: null, lastPut: null, complete: null};
    window.__w0.trace.txs.push(info);
    txInfo.set(tx, info);
    tx.addEventListener("complete", () => { info.complete = now(); });
  }
  return tx;
};
const put = O.put;
O.put = function (...a) {
  const info = txInfo.get(this.transaction);
  if (info) {
    info.puts++;
    if (info.firstPut === null) info.firstPut = now();
  }
  const request = put.apply(this, a);
  if (info) info.lastPut = now();
  return request;
};
return true;
