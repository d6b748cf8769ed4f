"""The conversation the bench replays: deterministic user messages, replies and stored memories,
and the request shapes of the seed app (the pipeline the app is compared with)."""

import random

from harness import MEM0_KEY, http_json

WORDS = ("I hear how heavy this week has been for you and it makes sense that you feel tired when so much "
         "is asking for your attention at once . It might help to notice which of these worries is yours to "
         "carry today and which can wait until tomorrow . You mentioned sleep earlier ; small steady routines "
         "often help more than big changes , like a short walk after dinner or writing down three things "
         "before bed . Would you like to talk about what felt hardest today , or about one thing that went "
         "a little better than you expected ? Either is fine , and there is no rush here .").split()

# The seed's request shapes: search filters, add flags, and its persona.
SEED_SEARCH_EXTRA = lambda user: {"filters": {"AND": [{"user_id": user}]}}  # noqa: E731
SEED_ADD_EXTRA = {"version": "v2", "output_format": "v1.1"}
SEED_PERSONA = "You are a kind virtual therapist. Listen, reflect, and answer gently."


def reply_text(i, words=120):
    """A deterministic ~`words`-word reply (varies with i), with a little markdown."""
    rnd = random.Random(i)
    out, w = [], 0
    start = rnd.randrange(len(WORDS))
    k = 0
    while w < words:
        tok = WORDS[(start + k) % len(WORDS)]
        out.append(tok)
        k += 1
        w += tok.isalpha() or tok[0].isalpha()
    text = " ".join(out).replace(" .", ".").replace(" ,", ",").replace(" ;", ";").replace(" ?", "?")
    return f"**Reply {i}.** " + text


def user_text(i):
    return (f"Turn {i:03d}: today was hard again, mostly because of {TOPICS[i % len(TOPICS)]}, "
            f"and I keep thinking about it at night.")


def mem0_json(method, url, body=None, timeout=30):
    """A call to the fake mem0 with the test key."""
    return http_json(method, url, body, headers={"authorization": f"Token {MEM0_KEY}"}, timeout=timeout)


# What a person tells a wellness chat over months, as mem0 would keep it: short facts, many of
# them about the same few worries the bench's messages are about (so searches find some).
FACT_TEMPLATES = (
    "Feels stressed about {topic} most {when}",
    "Sleeps about {hours} hours on {when} and wakes up tired",
    "Finds that a short walk helps when {topic} gets heavy",
    "Talked about {topic} with a friend on {when}",
    "Has a physiotherapy exercise routine for the knee, {hours} times a week",
    "Writes down three good things before bed on {when}",
    "Worries about {topic} at night",
    "Drinks less coffee since {when} to sleep better",
)
TOPICS = ("work", "sleep", "my sister", "the move", "exams", "my knee", "money", "the dog", "running", "my job")
WHENS = ("mondays", "weekends", "rainy days", "holidays", "evenings", "mornings", "workdays")


def memory_text(i):
    """The i-th stored memory: a fact in the style of mem0's memories, distinct for every i."""
    fact = FACT_TEMPLATES[i % len(FACT_TEMPLATES)].format(
        topic=TOPICS[(i // 3) % len(TOPICS)], when=WHENS[(i // 5) % len(WHENS)], hours=5 + i % 4)
    return f"{fact} (noted in session {i + 1})"
