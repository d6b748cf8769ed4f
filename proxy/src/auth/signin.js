// The sign-in, set-a-password and change-password pages' one script: the password never leaves this device.
// It derives a master key from the password (PBKDF2-SHA256 with the account's salt, asked of
// the server), and from that by HKDF-SHA256 the authentication secret the form sends instead of
// the password and the wrapping key the app unwraps the person's data key with. The wrapping key
// is handed to the app through this tab's sessionStorage (the app takes it at once and keeps it
// as it keeps its other secrets). WebCrypto only; the same derivation as proxy/src/kdf.rs,
// which pins it to test vectors.
"use strict";

// The fewest iterations accepted: a tampered server must not talk the page into a cheap key.
const MIN_ITERATIONS = 600000;
const WRAP_HANDOFF = "wellness0.signin-wrap";
const WRAP_PENDING = "wellness0.signin-wrap-pending";
const enc = new TextEncoder();

function base64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

// { secret, wrap } (both base64url) for a password, salt (base64url) and iteration count.
async function derive(password, salt, iterations) {
  const subtle = crypto.subtle;
  // Composed form (NFC), so "é" typed as one character or as two gives the same keys.
  const pw = await subtle.importKey("raw", enc.encode(password.normalize("NFC")), "PBKDF2", false, ["deriveBits"]);
  const pbkdf2 = { name: "PBKDF2", hash: "SHA-256", salt: fromBase64url(salt), iterations };
  const master = await subtle.deriveBits(pbkdf2, pw, 256);
  const hkdfKey = await subtle.importKey("raw", master, "HKDF", false, ["deriveBits"]);
  const expand = (info) =>
    subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: enc.encode(info) }, hkdfKey, 256);
  return { secret: base64url(await expand("wellness0 auth v1")), wrap: base64url(await expand("wellness0 wrap v1")) };
}

function showError(form, text) {
  let box = document.getElementById("form-error");
  if (!box) {
    box = document.createElement("p");
    box.id = "form-error";
    box.className = "error";
    box.setAttribute("role", "alert");
    form.before(box);
  }
  box.textContent = text;
  for (const input of form.querySelectorAll("input:not([type=hidden])")) {
    input.setAttribute("aria-describedby", "form-error");
  }
}

function hidden(form, name, value) {
  const input = document.createElement("input");
  input.type = "hidden";
  input.name = name;
  input.value = value;
  form.append(input);
}

async function params(name) {
  const resp = await fetch("params", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ name }),
    credentials: "same-origin",
  });
  if (resp.status === 429) throw new Error("Too many attempts. Wait a minute, then try again.");
  if (!resp.ok) throw new Error("The server did not answer. Try again in a minute.");
  const p = await resp.json();
  if (typeof p.salt !== "string" || !(p.iterations >= MIN_ITERATIONS)) {
    throw new Error("The server sent sign-in settings this page does not accept.");
  }
  return p;
}

// The sync key's body on the server with the data key wrapped anew for the new password:
// {version, body} (body null when there is no key, or when the old password's key does not
// open it — it was set up under another password; the recovery code still opens it).
async function rewrapped(oldWrap, newWrap) {
  const resp = await fetch("../api/sync/key", { credentials: "same-origin", headers: { accept: "application/json" } });
  if (resp.status === 404) return { version: 0, body: null };
  if (!resp.ok) throw new Error("The server did not answer. Try again in a minute.");
  const { body, version } = await resp.json();
  // The app's own key module: one implementation of the key format.
  const keys = await import("./keys.js");
  const text = JSON.stringify(body);
  let dataKey;
  try {
    dataKey = await keys.unwrapDataKey(oldWrap, text);
  } catch {
    return { version, body: null };
  }
  return { version, body: await keys.rewrap(dataKey, newWrap, text) };
}

// A password change: the current password's secret proves it is the person, the new one's
// replaces it, and the sync data key is wrapped anew (no record is encrypted again).
async function change(form, name, password) {
  const current = form.querySelector("#current").value;
  const p = await params(name);
  const before = await derive(current, p.salt, p.iterations);
  const salt = form.elements.namedItem("salt").value;
  const iterations = Number(form.elements.namedItem("iterations").value);
  if (!(iterations >= MIN_ITERATIONS)) throw new Error("The server sent sign-in settings this page does not accept.");
  const after = await derive(password, salt, iterations);
  const key = await rewrapped(before.wrap, after.wrap);
  hidden(form, "current", before.secret);
  if (p.upgrade) hidden(form, "password", current);
  hidden(form, "secret", after.secret);
  hidden(form, "key_version", String(key.version));
  if (key.body) hidden(form, "key", key.body);
  // Handed to the app only once the server has taken the change (the page saying so runs this
  // script): a change refused or cut off must not leave the app a key of a password never set.
  sessionStorage.setItem(WRAP_PENDING, JSON.stringify({ name, key: after.wrap }));
  form.submit();
}

async function submit(form) {
  if (!globalThis.crypto?.subtle) throw new Error("Signing in needs a secure connection (an https:// address).");
  const name = form.elements.namedItem("name").value.trim();
  // The password fields have no name, so the browser never sends them, even without this script.
  const password = form.querySelector("#password");
  const confirm = form.querySelector("#confirm");
  const min = Number(password.getAttribute("minlength") || 0);
  if (confirm && password.value !== confirm.value) throw new Error("The two passwords differ.");
  if (password.value.length < min) throw new Error(`Use at least ${min} characters.`);
  if (form.dataset.derive === "change") return change(form, name, password.value);
  const p = await params(name);
  const keys = await derive(password.value, p.salt, p.iterations);
  hidden(form, "secret", keys.secret);
  // An account from before sends its password this once, so the server can move it over.
  if (p.upgrade) hidden(form, "password", password.value);
  sessionStorage.setItem(WRAP_HANDOFF, JSON.stringify({ name, key: keys.wrap }));
  form.submit();
}

// A key left by an attempt the server refused (this page again) is of a wrong password; the
// page saying a password change went through hands the new password's key over.
sessionStorage.removeItem(WRAP_HANDOFF);
if (document.querySelector("[data-password-changed]") && sessionStorage.getItem(WRAP_PENDING)) {
  sessionStorage.setItem(WRAP_HANDOFF, sessionStorage.getItem(WRAP_PENDING));
}
sessionStorage.removeItem(WRAP_PENDING);

for (const form of document.querySelectorAll("form[data-derive]")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    submit(form).catch((e) => {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      showError(form, e instanceof Error && e.message ? e.message : "Signing in failed. Try again.");
    });
  });
}
