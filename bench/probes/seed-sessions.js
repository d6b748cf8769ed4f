// execute_async_script(spec): stores sessions straight into the app's IndexedDB (database `wellness0`,
// version 1, created by the app on its first start), in the records the app writes: per session
// {id, data} in `sessions`, per message {session, id, text, data} in `messages`, `data` being the JSON
// the app keeps. Several sessions per transaction (spec.perTx), one transaction after the other.
//
// Texts are made up here, deterministically (a seeded PRNG), the way a wellness chat reads: user
// messages of spec.userChars = [min, max] characters, replies of spec.replyChars, some with a short
// list or bold text. spec.hit = [sentence, rate]: that sentence is added to about `rate` of the user
// messages (what a search finds); spec.tokens = {sessionIndex: sentence}: added to the first user
// message of that session (to tell when the search index has reached it).
// spec.sessions = [{id, startMs, count, gapMs}]: message k is written at startMs + k * gapMs and gets
// the id (its time) * 4096 + k % 4096, so ids grow in conversation order, as the app's do.
const [spec, done] = arguments;

const USER = [
  "I slept badly again last night and woke up at four with my heart racing.",
  "Work has been piling up and I feel like I am always behind.",
  "My sister called and we ended up arguing about mum's birthday again.",
  "I went for a run this morning, the first one in two weeks.",
  "My knee hurts after the physiotherapy exercises, is that normal?",
  "Exams start next month and I cannot focus for more than ten minutes.",
  "We are moving flats in March and I keep making lists at night.",
  "Money is tight this month and I am worried about the rent.",
  "The dog was sick and I stayed home with him all day.",
  "I tried the breathing exercise you suggested before the meeting.",
  "Writing three good things down before bed felt silly but it helped a little.",
  "I had a coffee at the café near the station and just sat there for an hour.",
  "Sometimes I feel fine all day and then in the evening everything feels heavy.",
  "My manager gave me feedback in front of everyone and I froze.",
  "I skipped lunch again because there was no time.",
  "Talking to my friend on Sunday made me feel less alone.",
  "I keep replaying the conversation with my father in my head.",
  "Today was actually a good day, I wanted to tell someone.",
];
const REPLY = [
  "That sounds exhausting, and it makes sense that you feel worn out when sleep keeps breaking like that.",
  "It is good that you noticed this, noticing is often the first step towards changing something.",
  "Waking up early with a racing heart is something many people know from stressful weeks.",
  "Would it help to look at which of these worries is yours to carry today and which can wait?",
  "Small steady routines often help more than big changes, like a short walk after dinner.",
  "You mentioned your sister earlier; it sounds like these conversations matter a lot to you.",
  "Pain after new exercises can be common, but it is worth asking your physiotherapist about it.",
  "Try to give yourself credit for the run, two weeks off does not undo what you built.",
  "When focus is short, working in blocks of fifteen minutes with a break can feel kinder.",
  "Moving is one of the more stressful things people go through, even when it is a good change.",
  "It is okay that some evenings feel heavy; feelings often come in waves and pass again.",
  "Being criticised in front of others can feel very exposing, and freezing is a normal reaction.",
  "Eating regularly is one of the simplest ways to keep your energy and mood steadier.",
  "I am really glad you had a good day, what do you think made the difference?",
  "There is no rush here, we can take this one step at a time.",
  "How did you feel afterwards, lighter, or more tired than before?",
];
const LIST = ["a short walk after dinner", "writing down three things before bed", "no screens in the last hour",
  "the same wake-up time every day", "a glass of water before coffee", "calling a friend once a week"];

let state = spec.seed >>> 0;
const random = () => {  // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (list) => list[Math.floor(random() * list.length)];

function text(pool, [min, max], extra, markdown) {
  const target = min + Math.floor(random() * (max - min + 1));
  let out = extra ? extra : "";
  while (out.length < target) {
    let next = pick(pool);
    if (markdown && random() < 0.15) next = "**" + next + "**";
    if (markdown && random() < 0.1) next = "Some things that help people:\n\n- " + pick(LIST) + "\n- " + pick(LIST) + "\n\n" + next;
    if (out.length + 1 + next.length > max) {
      if (out.length >= min) break;
      next = next.slice(0, max - out.length - 1);
      if (next.lastIndexOf(" ") > 0) next = next.slice(0, next.lastIndexOf(" "));
    }
    out = out ? out + (out.endsWith("\n") ? "" : " ") + next : next;
  }
  return out;
}

// The app's title_from (src/chat/session.rs): first line, whitespace collapsed, at most 60 characters.
function title(first) {
  const line = first.split("\n").map((l) => l.trim()).find((l) => l) || "";
  const words = line.split(/\s+/).join(" ");
  if ([...words].length <= 60) return words;
  const cut = [...words].slice(0, 59).join("");
  const at = cut.lastIndexOf(" ");
  const kept = at > 30 ? cut.slice(0, at) : cut;
  return kept.replace(/[,.;:]+$/, "") + "…";
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open("wellness0", 2);
    request.onupgradeneeded = () => reject(new Error("the app has not created its database yet"));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

(async () => {
  const db = await openDb();
  const t0 = performance.now();
  const stats = {branches: 0, messages: 0, user: 0, reply: 0, userChars: 0, replyChars: 0, hits: 0, recordChars: 0,
                 minUser: Infinity, maxUser: 0, minReply: Infinity, maxReply: 0};
  const sessions = [];
  for (let i = 0; i < spec.sessions.length; i += spec.perTx) {
    const tx = db.transaction(["sessions", "messages"], "readwrite");
    const finished = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("aborted"));
    });
    for (const [j, s] of spec.sessions.slice(i, i + spec.perTx).entries()) {
      const index = i + j;
      let first = null, last = null, created = s.startMs, previous = null;
      for (let k = 0; k < s.count; k++) {
        const user = k % 2 === 0;
        const created_ms = s.startMs + k * s.gapMs;
        const id = created_ms * 4096 + (k % 4096);
        let extra = "";
        if (user && k === 0 && spec.tokens[index]) extra = spec.tokens[index];
        if (user && spec.hit && random() < spec.hit[1]) { extra = (extra ? extra + " " : "") + spec.hit[0]; stats.hits++; }
        const body = user ? text(USER, spec.userChars, extra, false) : text(REPLY, spec.replyChars, "", true);
        const record = {id, role: user ? "user" : "model", text: body, state: "done", created_ms};
        if (spec.branchEvery) {
          // Linked as the app links them; every branchEvery-th reply also has an earlier version
          // (asked again: same parent, older id), so the newest version, with what follows, shows.
          record.parent = previous === null ? "root" : {of: previous};
          if (!user && (k - 1) / 2 % spec.branchEvery === 0) {
            const older = {...record, id: id - 2048, text: body.split("").reverse().join("")};
            tx.objectStore("messages").put({session: s.id, id: older.id, text: older.text, data: JSON.stringify(older)});
            stats.messages++;
            stats.branches++;
          }
          previous = id;
        }
        const data = JSON.stringify(record);
        tx.objectStore("messages").put({session: s.id, id, text: body, data});
        stats.messages++;
        stats.recordChars += data.length + body.length;
        if (user) {
          stats.user++; stats.userChars += body.length;
          stats.minUser = Math.min(stats.minUser, body.length); stats.maxUser = Math.max(stats.maxUser, body.length);
          if (first === null) first = body;
        } else {
          stats.reply++; stats.replyChars += body.length;
          stats.minReply = Math.min(stats.minReply, body.length); stats.maxReply = Math.max(stats.maxReply, body.length);
        }
        last = {id, created_ms};
      }
      const meta = {id: s.id, title: title(first || ""), renamed: false, created_ms: created,
                    updated_ms: last.created_ms, count: s.count};
      const data = JSON.stringify(meta);
      tx.objectStore("sessions").put({id: s.id, data});
      stats.recordChars += data.length;
      sessions.push({id: s.id, count: s.count, last: last.id, updated_ms: last.created_ms, title: meta.title});
    }
    await finished;
  }
  db.close();
  done({ms: performance.now() - t0, sessions, stats});
})().catch((e) => done({error: String(e)}));
