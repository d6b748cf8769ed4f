// execute_async_script(since, timeoutMs): resolves true once a reply sent after `since` has its
// `w0:done` mark, false after timeoutMs. Waits inside the page: no WebDriver polling during the reply.
const [since, timeoutMs, done] = arguments;
const t0 = performance.now();
const check = () => {
  const s = performance.getEntriesByName('w0:send'), d = performance.getEntriesByName('w0:done');
  if (s.length && s[0].startTime >= since && d.length) return done(true);
  if (performance.now() - t0 > timeoutMs) return done(false);
  setTimeout(check, 100);
};
check();
