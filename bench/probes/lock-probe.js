// Injected into the next document only, after usable-probe.js (the same load): when the lock screen
// first appears and when it leaves the page (the passcode opened the data and the app replaces it),
// in performance.now() time from navigation start. unlock.js records the click.
const lock = ((window.__w0 = window.__w0 || {longtasks: []}).lock = {shown: null, gone: null, click: null});
const lockMo = new MutationObserver(() => {
  const there = !!document.querySelector("[data-testid=lock-screen]");
  if (there && lock.shown === null) lock.shown = performance.now();
  if (!there && lock.shown !== null && lock.gone === null) {
    lock.gone = performance.now();
    lockMo.disconnect();
  }
});
lockMo.observe(document, {childList: true, subtree: true});
