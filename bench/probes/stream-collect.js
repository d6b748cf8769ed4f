// execute_script(): stops the stream probe and returns the last reply's marks, mutations and long tasks.
window.__mutMo && window.__mutMo.disconnect();
const send = performance.getEntriesByName('w0:send')[0].startTime;
const end = performance.getEntriesByName('w0:done')[0].startTime;
return {send, end, first: performance.getEntriesByName('w0:first-chunk')[0].startTime,
        chunks: performance.getEntriesByName('w0:chunk').map(e => e.startTime),
        mut: window.__mut, longtasks: window.__w0.longtasks.filter(t => t[0] >= send - 1 && t[0] <= end + 50)};
