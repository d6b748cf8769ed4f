// execute_async_script(job, timeoutMs): in Settings → Passcode (open), does what a person does to set
// or remove the passcode: job = {fields: {testid: text}, button: testid, done: text}. The fields
// (passcode typed twice; the current one to remove it) are filled, the button clicked, and the app
// re-encrypts every stored record (idb.js rekey: the key derived, all read, each sealed or opened,
// all written back in one transaction), then the Web Storage values. Times, from the click:
// "Encrypting…" shown, and the status line saying `job.done` (seen by a MutationObserver on it); the
// long tasks in between ([start after the click, duration]); the click's own time (performance.now()).
const [job, timeoutMs, done] = arguments;
const q = (id) => document.querySelector(`[data-testid=${id}]`);
const button = q(job.button);
const status = q("passcode-status");
if (!button || !status) return done({error: "Settings → Passcode is not open"});
for (const [id, text] of Object.entries(job.fields)) {
  if (!q(id)) return done({error: `no [data-testid=${id}]`});
  q(id).value = text;
}
const r = {encrypting: null, set: null};
let t0 = null;
const finish = (extra) => {
  mo.disconnect();
  clearTimeout(timer);
  done(Object.assign(r, extra, {text: status.textContent, clickAt: t0,
    longtasks: window.__w0.longtasks.filter((l) => l[0] + l[1] >= t0).map(([s, d]) => [s - t0, d])}));
};
const mo = new MutationObserver(() => {
  const now = performance.now() - t0;
  const text = status.textContent;
  if (r.encrypting === null && text.includes("Encrypting")) r.encrypting = now;
  if (text.includes(job.done)) {
    r.set = now;
    finish({});
  } else if (status.classList.contains("error")) finish({error: text});
});
mo.observe(status, {childList: true, subtree: true, characterData: true, attributes: true});
const timer = setTimeout(() => finish({error: "no answer in time"}), timeoutMs);
t0 = performance.now();
button.click();
