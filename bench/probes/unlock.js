// execute_async_script(passcode, withIndex, timeoutMs): on the lock screen (usable-probe.js and
// lock-probe.js installed for this load), types the passcode into the field and clicks Unlock (a
// click on the button: the form is submitted as by a person), then waits for what usable-probe.js
// records: the app usable (storage read, composer, the open session's newest messages shown) and
// the frame that shows it, and with withIndex the search hit that says the index is built. Returns
// those times (from navigation start), the lock screen's, the click's, and the long tasks from the
// click until usable and after.
const [passcode, withIndex, timeoutMs, done] = arguments;
const w = window.__w0;
const field = document.querySelector("[data-testid=unlock-passcode]");
const button = document.querySelector("[data-testid=unlock]");
if (!field || !button || !w || !w.lock || !w.load) return done({error: "no lock screen, or the probes are missing"});
field.value = passcode;
w.lock.click = performance.now();
button.click();
const poll = () => {
  const t = w.load;
  const status = document.querySelector("[data-testid=unlock-status]");
  if (status && status.classList.contains("error")) {
    done({error: `unlock failed: ${status.textContent}`});
  } else if (t.painted !== null && (!withIndex || t.indexed !== null)) {
    setTimeout(() => done(Object.assign({}, t, {lock: w.lock,
      longtasks: w.longtasks.filter((l) => l[0] + l[1] >= w.lock.click && l[0] <= t.usable),
      longtasksAfter: w.longtasks.filter((l) => l[0] > t.usable)})), 300);
  } else if (performance.now() - w.lock.click > timeoutMs) {
    done({error: "the page never became usable after unlocking", load: t, lock: w.lock});
  } else setTimeout(poll, 20);
};
poll();
