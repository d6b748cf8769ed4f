// Injected into every new document (CDP Page.addScriptToEvaluateOnNewDocument): long tasks,
// the wasm instance, the user's Enter key presses, and waitCount(selector, n) for the other probes.
window.__w0 = {longtasks: [], enter: [], started: null};
try {
  new PerformanceObserver(list => { for (const e of list.getEntries()) window.__w0.longtasks.push([e.startTime, e.duration]); })
    .observe({type: 'longtask', buffered: true});
} catch (e) {}
addEventListener('TrunkApplicationStarted', e => { window.__w0.wasm = e.detail.wasm; window.__w0.started = performance.now(); });
addEventListener('keydown', e => { if (e.key === 'Enter') window.__w0.enter.push(e.timeStamp); }, true);
window.__w0.waitCount = (selector, n) => new Promise(resolve => {
  const check = () => document.querySelectorAll(selector).length >= n;
  if (check()) return resolve(performance.now());
  const mo = new MutationObserver(() => { if (check()) { mo.disconnect(); resolve(performance.now()); } });
  mo.observe(document, {childList: true, subtree: true});
});
