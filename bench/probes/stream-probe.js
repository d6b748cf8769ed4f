// execute_async_script(): starts recording transcript mutations, each with the end of its task
// (a MessageChannel message posted from the observer runs after the task's synchronous work), and
// whether the page rendered a frame before that (a rAF callback requested from the observer ran
// first: the MessageChannel message then also waited for that frame's style, layout and paint).
const done = arguments[arguments.length - 1];
const log = document.querySelector('[data-testid=transcript]');
window.__mut = [];
window.__mutMo && window.__mutMo.disconnect();
const ch = new MessageChannel();
let pending = null;
ch.port1.onmessage = () => { if (pending) { pending.task = performance.now(); pending = null; } };
window.__mutMo = new MutationObserver(() => {
  const rec = {dom: performance.now(), task: null, frame: null};
  window.__mut.push(rec);
  if (!pending) {
    pending = rec;
    ch.port2.postMessage(0);
    requestAnimationFrame(() => { rec.frame = performance.now(); });
  }
});
window.__mutMo.observe(log, {childList: true, subtree: true, characterData: true});
done(true);
