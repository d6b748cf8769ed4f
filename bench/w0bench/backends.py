"""The two memory services the bench drives the app against — the mem0 Platform (v3) and a
self-hosted mem0 server — as the bench needs them: which fake plays them, how the page is set up
for them, how memories are stored straight into the fake, and which kind of call each logged
request is (the app's calls are listed in docs/memory-backends.md)."""

import re
from dataclasses import dataclass

from harness import MEM0_KEY, http_json

from .texts import memory_text

SELFHOSTED_KEY = "test-selfhosted-key"  # the self-hosted fake's default admin key
# Memories per seeding add: both fakes store each message of an `infer: false` add as one memory.
SEED_BATCH = 500
# The kinds of call a turn can make, in report order.
KINDS = ("search", "add", "event", "fetch", "list", "other")
KIND_LABELS = {"search": "search", "add": "add", "event": "event polls", "fetch": "memory fetches",
               "list": "list pages", "other": "other"}


@dataclass(frozen=True)
class Backend:
    name: str  # short name, used in keys and logs
    label: str  # for the report
    server: str  # the fake that plays it (harness name)
    calls: tuple  # (kind, method, path regex, call as written in the report)
    list_cap: int | None  # most memories the app's list shows (None: every page is followed)

    def classify(self, method, path):
        for kind, m, pattern, _ in self.calls:
            if method == m and re.fullmatch(pattern, path):
                return kind
        return "other"

    def call_name(self, kind):
        return next((shown for k, _, _, shown in self.calls if k == kind), kind)

    def listed(self, n):
        """How many memories the sidebar shows once `n` are stored."""
        return n if self.list_cap is None else min(n, self.list_cap)

    def url(self, fakes):
        return fakes.url(self.server)

    def headers(self):
        if self.server == "mem0":
            return {"authorization": f"Token {MEM0_KEY}"}
        return {"x-api-key": SELFHOSTED_KEY}

    def add_path(self):
        return "/v3/memories/add/" if self.server == "mem0" else "/memories"

    def seed(self, fakes, user, n, start=0):
        """Stores `n` distinct memories for `user` directly in the fake (see `store`)."""
        self.store(fakes, user, [memory_text(i) for i in range(start, start + n)])

    def store(self, fakes, user, texts):
        """Stores `texts` (all different) as memories of `user` directly in the fake: `infer: false`
        adds of SEED_BATCH messages each, no extraction, one memory per message."""
        for lo in range(0, len(texts), SEED_BATCH):
            msgs = [{"role": "user", "content": t} for t in texts[lo:lo + SEED_BATCH]]
            answer = http_json("POST", self.url(fakes) + self.add_path(),
                               {"messages": msgs, "user_id": user, "infer": False}, headers=self.headers(), timeout=120)
            if len(answer["results"]) != len(msgs):
                raise RuntimeError(f"{self.name}: stored {len(answer['results'])} of {len(msgs)} memories")

    def configure(self, page, site_url, user):
        """Settings filled in like a person would, for this service (the self-hosted fake first
        allows the page's origin: the real server's CORS allows one origin only)."""
        fakes = page.fakes
        if self.server == "mem0":
            return page.configure(mem0_key=MEM0_KEY, user_id=user)
        origin = re.match(r"https?://[^/]+", site_url).group(0)
        fakes.control("selfhosted", "POST", "cors", {"origin": origin})
        return page.configure(selfhosted_url=self.url(fakes), selfhosted_key=SELFHOSTED_KEY, user_id=user)


PLATFORM = Backend(
    name="platform", label="mem0 Platform (v3)", server="mem0", list_cap=None,
    calls=(("search", "POST", r"/v3/memories/search/", "POST /v3/memories/search/"),
           ("add", "POST", r"/v3/memories/add/", "POST /v3/memories/add/"),
           ("event", "GET", r"/v1/event/[^/]+/", "GET /v1/event/{id}/"),
           ("fetch", "GET", r"/v1/memories/[^/]+/", "GET /v1/memories/{id}/"),
           ("list", "POST", r"/v3/memories/", "POST /v3/memories/?page=N&page_size=200")))

SELF_HOSTED = Backend(
    name="selfhosted", label="self-hosted mem0 server", server="selfhosted", list_cap=1000,
    calls=(("search", "POST", r"/search", "POST /search"),
           ("add", "POST", r"/memories", "POST /memories"),
           ("fetch", "GET", r"/memories/[^/]+", "GET /memories/{id}"),
           ("list", "GET", r"/memories", "GET /memories?user_id=…&top_k=1000")))

BACKENDS = (PLATFORM, SELF_HOSTED)


def seed_memories(fakes, user, n):
    """`n` memories for `user` on the Platform fake (the other sections' set-up)."""
    PLATFORM.seed(fakes, user, n)
