// execute_script(): starts timing keystrokes in the session search box. For every `input` event: the
// key press it came from (its keydown's timeStamp, the time the browser took the key), the end of the
// task that handled it (a MessageChannel message posted before the app's handler runs after it and
// the microtasks it queued, where the app updates the page), whether the hits on the page by then are
// the ones for the text in the box (the first hit's marked text is the query, or the box is empty and
// the session list is back), and the frame that shows them (rAF, then a MessageChannel message).
// search-collect.js returns the records.
const w = window.__w0;
w.typing = [];
if (w.typingInstalled) return true;
w.typingInstalled = true;
let lastKey = null;
const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
const afterFrame = (then) => requestAnimationFrame(() => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => then(performance.now());
  ch.port2.postMessage(0);
});
const inPlace = (value) => {
  const query = fold(value.trim());
  if (!query) {
    // The list stays in the page while searching, hidden.
    const list = document.querySelector("[data-testid=sessions]");
    return !!list && !list.closest("[hidden]") && !document.querySelector("[data-testid=session-hits]");
  }
  const status = document.querySelector("[data-testid=session-search-status]");
  const mark = document.querySelector("[data-testid=session-hit] mark");
  if (!status) return false;
  return mark ? fold(mark.textContent) === query : /^No message/.test(status.textContent);
};
addEventListener("keydown", (e) => { lastKey = {key: e.key, down: e.timeStamp}; }, true);
addEventListener("input", (e) => {
  if (!e.target.matches || !e.target.matches("[data-testid=session-search]")) return;
  const rec = {key: lastKey && lastKey.key, down: lastKey ? lastKey.down : null, input: performance.now(),
               value: e.target.value, taskEnd: null, shown: null, painted: null, waited: false};
  w.typing.push(rec);
  const ch = new MessageChannel();
  ch.port1.onmessage = () => {
    rec.taskEnd = performance.now();
    const settle = () => {
      if (inPlace(rec.value) || performance.now() - rec.input > 5000) {
        rec.shown = performance.now();
        rec.ok = inPlace(rec.value);
        rec.hits = document.querySelectorAll("[data-testid=session-hit]").length;
        const status = document.querySelector("[data-testid=session-search-status]");
        rec.status = status ? status.textContent : null;
        afterFrame((p) => { rec.painted = p; });
      } else {
        rec.waited = true;
        requestAnimationFrame(settle);
      }
    };
    settle();
  };
  ch.port2.postMessage(0);
}, true);
return true;
