"""A client of the proxy's sync API for the bench, as a device would be one: it signs in the way
the sign-in page does (the password stays here: PBKDF2 then HKDF, the same derivation as
proxy/src/kdf.rs and proxy/src/auth/signin.js) and pushes and pulls opaque records. The records'
contents do not matter to the server, so they are random bytes here."""

import base64
import hashlib
import hmac
import http.client
import json
import os
import unicodedata
import urllib.parse


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive(password, salt, iterations):
    """(authentication secret, wrapping key) for a password and the account's salt."""
    pw = unicodedata.normalize("NFC", password).encode()
    master = hashlib.pbkdf2_hmac("sha256", pw, unb64(salt), iterations, 32)
    prk = hmac.new(b"\0" * 32, master, "sha256").digest()  # HKDF-Extract with an empty salt

    def expand(info):
        return hmac.new(prk, info + b"\x01", "sha256").digest()  # one block of HKDF-Expand

    return b64(expand(b"wellness0 auth v1")), expand(b"wellness0 wrap v1")


class Refused(RuntimeError):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body[:200]!r}")
        self.status = status


class SyncClient:
    """One signed-in device. `base` is the proxy's root URL (`http://127.0.0.1:PORT/`); it can be
    changed to another instance of the same deployment (the cookie is the same everywhere)."""

    def __init__(self, base, name, password, _derived={}):
        self.base = base
        params = self._form("auth/params", {"name": name})
        params = json.loads(params[2])
        key = (password, params["salt"], params["iterations"])
        if key not in _derived:  # 600,000 rounds: once per person and process
            _derived[key] = derive(*key)
        secret, _wrap = _derived[key]
        status, headers, body = self._form("auth/signin", {"name": name, "secret": secret})
        cookie = headers.get("set-cookie", "")
        if status != 303 or not cookie:
            raise Refused(status, body)
        self.cookie = cookie.split(";", 1)[0]

    def _conn(self):
        u = urllib.parse.urlsplit(self.base)
        return http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def _origin(self):
        return self.base.rstrip("/")

    def _form(self, path, fields):
        conn = self._conn()
        try:
            conn.request("POST", "/" + path, body=urllib.parse.urlencode(fields),
                         headers={"content-type": "application/x-www-form-urlencoded", "origin": self._origin()})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode(errors="replace")
        finally:
            conn.close()

    def call(self, method, path, body=None):
        """(status, parsed JSON or text); connection failures raise OSError."""
        conn = self._conn()
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {"cookie": self.cookie, "origin": self._origin(), "accept": "application/json"}
            if data is not None:
                headers["content-type"] = "application/json"
            conn.request(method, "/api/sync/" + path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                return resp.status, json.loads(raw)
            except ValueError:
                return resp.status, raw.decode(errors="replace")
        finally:
            conn.close()

    def push(self, records):
        status, body = self.call("POST", "push", {"records": records})
        if status != 200:
            raise Refused(status, str(body))
        return body

    def changes_all(self, since=0, limit=500):
        """Every record stored after `since`, page by page: (records, latest seq)."""
        out = []
        while True:
            status, body = self.call("GET", f"changes?since={since}&limit={limit}")
            if status != 200:
                raise Refused(status, str(body))
            out += body["records"]
            if not body.get("more"):
                return out, body["seq"]
            since = body["records"][-1]["seq"]


def clock(ms, counter, device):
    return f"{ms:016d}-{counter:06d}-{device}"


def records(prefix, count, size, ms, device="bench"):
    """`count` records with keys `prefix-0…`, `size` random bytes each."""
    return [{"key": f"{prefix}-{i}", "clock": clock(ms, i % 1_000_000, device), "data": b64(os.urandom(size))}
            for i in range(count)]
