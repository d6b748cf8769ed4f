// execute_script(): the app's Performance marks of the last reply (w0:send, w0:first-chunk, w0:done,
// every w0:chunk) and the time of the last Enter key press.
const one = n => { const e = performance.getEntriesByName(n); return e.length ? e[0].startTime : null; };
return {send: one('w0:send'), first: one('w0:first-chunk'), done: one('w0:done'),
        chunks: performance.getEntriesByName('w0:chunk').map(e => e.startTime),
        enter: window.__w0 ? window.__w0.enter.slice(-1)[0] : null};
