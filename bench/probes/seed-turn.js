// execute_async_script(cfg, msg): one turn of the seed app's pipeline, replayed with fetch in the
// page: get_all, search, a blocking generateContent, then an add with the whole buffer.
const [cfg, msg, done] = arguments;
(async () => {
  const m0 = {'Authorization': 'Token ' + cfg.mem0Key, 'content-type': 'application/json'};
  const t0 = performance.now();
  // (1) get_all, then (2) search, one after the other, as the seed did.
  const all = await (await fetch(cfg.mem0 + '/v1/memories/?user_id=' + encodeURIComponent(cfg.user), {headers: m0})).json();
  const found = await (await fetch(cfg.mem0 + '/v2/memories/search/', {method: 'POST', headers: m0,
      body: JSON.stringify(Object.assign({query: msg}, cfg.searchExtra))})).json();
  const memories = (Array.isArray(found) ? found : (found.results || [])).map(m => m.memory);
  // (3) one blocking generateContent: the first token arrives with the last.
  const prompt = cfg.persona + '\n\nWhat you know about the user:\n' + memories.map(m => '- ' + m).join('\n') +
      '\n\nUser: ' + msg;
  const resp = await fetch(cfg.gemini + '/v1beta/models/' + cfg.model + ':generateContent', {method: 'POST',
      headers: {'x-goog-api-key': cfg.key, 'content-type': 'application/json'},
      body: JSON.stringify({contents: [{role: 'user', parts: [{text: prompt}]}]})});
  const data = await resp.json();
  const text = data.candidates[0].content.parts.map(p => p.text || '').join('');
  const t1 = performance.now();
  // (4) add with the whole buffer of messages so far, before the next turn.
  window.__seedBuffer = window.__seedBuffer || [];
  window.__seedBuffer.push({role: 'user', content: msg}, {role: 'assistant', content: text});
  await (await fetch(cfg.mem0 + '/v1/memories/', {method: 'POST', headers: m0,
      body: JSON.stringify(Object.assign({messages: window.__seedBuffer, user_id: cfg.user}, cfg.addExtra))})).json();
  const t2 = performance.now();
  done({ttft: t1 - t0, ttlt: t1 - t0, turn: t2 - t0, memories: all.length, chars: text.length});
})().catch(e => done({error: String(e)}));
