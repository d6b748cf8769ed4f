"""A person's memories as mem0 would keep them after months of a wellness chat, for the tidy-up
bench: short facts about family, health, work, habits and worries, all different, plus a share of
near-duplicates (the same fact said again in slightly different words, as mem0's add-only
extraction leaves them). Deterministic.

Distinct facts come from templates, each used a limited number of times with every slot filled
differently each time (lists longer than the uses), so two facts from one template differ in
every slot and share at most their fixed words — fewer than a quarter of the words are fixed, so
they are not near-duplicates of each other. A near-duplicate repeats a fact with a detail added or
in mem0's "User …" wording."""

import random

NAMES = ("Anna", "Ben", "Clara", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko", "Liam",
         "Maya", "Nikos", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wen", "Ximena",
         "Yusuf", "Zoe", "Marta", "Tomas", "Leila", "Oskar", "Priya", "Mateo")
CITIES = ("Lisbon", "Leeds", "Toronto", "Lyon", "Krakow", "Porto", "Dublin", "Glasgow", "Munich", "Seville",
          "Osaka", "Austin", "Denver", "Oslo", "Bergen", "Naples", "Bristol", "Ghent", "Utrecht", "Valencia",
          "Tallinn", "Cork", "Halifax", "Perth", "Adelaide", "Quebec", "Bologna", "Graz", "Malmö", "Nantes",
          "Cardiff", "Zagreb")
JOBS = ("nurse", "teacher", "electrician", "accountant", "barista", "software developer", "paramedic", "librarian",
        "architect", "social worker", "chef", "pharmacist", "graphic designer", "bus driver", "lawyer", "dentist",
        "carpenter", "journalist", "physiotherapist", "translator", "mechanic", "midwife", "florist", "data analyst",
        "firefighter", "veterinarian", "plumber", "researcher", "hairdresser", "pilot", "gardener", "optician")
ACTIVITIES = ("swimming", "yoga", "cycling", "climbing", "pottery", "gardening", "baking", "knitting", "chess",
              "painting", "rowing", "tennis", "running", "dancing", "birdwatching", "woodworking", "photography",
              "journaling", "meditation", "pilates", "kayaking", "fishing", "hiking", "skating", "boxing", "surfing",
              "singing", "sketching", "volunteering", "crosswords", "badminton", "archery")
FOODS = ("oatmeal", "lentil soup", "sushi", "ramen", "porridge", "avocado toast", "dark chocolate", "green curry",
         "falafel", "pho", "lasagne", "pancakes", "hummus", "tacos", "risotto", "paella", "dumplings", "granola",
         "shakshuka", "couscous", "pierogi", "goulash", "tofu stir fry", "mango lassi", "bagels", "gazpacho",
         "moussaka", "burritos", "kimchi", "gnocchi", "chili", "omelettes")
CONDITIONS = ("asthma", "migraines", "eczema", "tinnitus", "lower back pain", "irritable bowel syndrome",
              "psoriasis", "insomnia", "hay fever", "high blood pressure", "anaemia", "arthritis in the hands",
              "sciatica", "vertigo", "acid reflux", "an underactive thyroid", "endometriosis", "plantar fasciitis",
              "coeliac disease", "rosacea", "restless legs", "chronic fatigue", "gout", "a frozen shoulder",
              "tension headaches", "a heart murmur", "shingles", "panic attacks", "carpal tunnel", "glaucoma",
              "bronchitis", "a torn ligament")
MEDS = ("sertraline", "melatonin", "ibuprofen", "levothyroxine", "metformin", "propranolol", "vitamin D",
        "magnesium", "escitalopram", "omeprazole", "lisinopril", "cetirizine", "iron tablets", "fluoxetine",
        "bupropion", "amlodipine", "naproxen", "fish oil", "zinc", "vitamin B12", "mirtazapine", "citalopram",
        "venlafaxine", "prednisolone", "salbutamol", "loratadine", "folic acid", "quetiapine", "lamotrigine",
        "paracetamol", "atorvastatin", "gabapentin")
TRIGGERS = ("deadlines", "the commute", "crowded trains", "phone calls", "family dinners", "public speaking",
            "hospital visits", "loud restaurants", "job interviews", "the headlines", "exams", "motorway driving",
            "flying", "group chats", "performance reviews", "unpaid bills", "social media", "birthdays",
            "the dentist", "moving house", "lifts", "the landlord", "parents evenings", "team meetings",
            "dark evenings", "Sunday nights", "emails from the manager", "parties", "shopping centres",
            "changing rooms", "traffic jams", "waiting rooms")
EVENTS = ("the surgery", "the breakup", "moving abroad", "the pandemic", "the divorce", "the new baby",
          "the burnout", "the knee injury", "changing jobs", "the funeral", "the renovation", "the redundancy",
          "the concussion", "the long illness", "finishing university", "the car accident", "retiring",
          "the wedding", "the flood", "the promotion", "the diagnosis", "the miscarriage", "the graduation",
          "the court case", "the bereavement", "the relocation", "the hip replacement", "the bankruptcy",
          "the pregnancy", "the night shifts", "the eviction", "the operation")
PETS = ("dog", "cat", "rabbit", "parrot", "tortoise", "hamster", "spaniel", "labrador", "terrier", "kitten",
        "greyhound", "goldfish", "budgie", "ferret", "collie", "poodle", "beagle", "gecko", "canary", "pug",
        "dachshund", "whippet", "husky", "corgi", "iguana", "chinchilla", "cockatiel", "lurcher", "boxer",
        "retriever", "sheepdog", "guinea pig")
PET_NAMES = ("Max", "Biscuit", "Luna", "Pepper", "Mochi", "Rex", "Nala", "Ziggy", "Olive", "Bruno", "Pickle",
             "Juno", "Tofu", "Maple", "Waffles", "Coco", "Otis", "Pixel", "Hazel", "Sprout", "Bean", "Clover",
             "Rocket", "Fudge", "Nutmeg", "Pumpkin", "Socks", "Willow", "Ginger", "Cosmo", "Poppy", "Dusty")
SHOWS = ("Bake Off", "gardening podcasts", "true crime documentaries", "nature programmes", "detective novels",
         "poetry collections", "science fiction films", "cooking shows", "historical dramas", "stand-up comedy",
         "travel vlogs", "fantasy novels", "quiz shows", "old sitcoms", "football highlights", "jazz records",
         "audiobooks about history", "anime series", "ghost stories", "classical music", "folk music",
         "graphic novels", "philosophy podcasts", "romance novels", "climbing films", "musicals",
         "crime thrillers", "space documentaries", "chess streams", "opera", "radio plays", "cartoons")
TOOLS = ("breathing exercises", "a gratitude jar", "cold showers", "a weighted blanket", "box breathing",
         "a mood diary", "grounding exercises", "progressive muscle relaxation", "a morning walk",
         "a worry journal", "an app timer", "body scans", "a white noise machine", "stretching",
         "a phone-free evening", "herbal tea", "a sunrise lamp", "guided imagery", "a planner", "colouring books",
         "a support group", "talking to a friend", "a hot bath", "reading fiction", "a sleep schedule",
         "a daily plan", "sunlight in the morning", "a short nap", "a calm playlist", "writing letters",
         "a dance break", "cooking from scratch")
# Numbers: never the same twice in one template (facts whose numbers differ are different facts).
DOSES = tuple(range(5, 5 + 5 * 32, 5))
AGES = tuple(range(14, 14 + 32))
MINUTES = tuple(range(10, 10 + 2 * 32, 2))

# (template, slots); every slot list above has 32 entries, so a template is used at most 32 times.
TEMPLATES = (
    ("Has a sister named {name} who lives in {city}", ("name", "city")),
    ("Has a brother, {name}, who works as a {job}", ("name", "job")),
    ("Best friend {name} moved to {city}", ("name", "city")),
    ("Works as a {job} at a clinic in {city}", ("job", "city")),
    ("Takes {dose} mg of {med} each morning", ("dose", "med")),
    ("Was diagnosed with {condition} at {age}", ("condition", "age")),
    ("Manages {condition} with {med}", ("condition", "med")),
    ("Dreads {trigger} since {event}", ("trigger", "event")),
    ("Finds that {activity} helps with {condition}", ("activity", "condition")),
    ("Goes {activity} with {name} on weekends", ("activity", "name")),
    ("Wants to return to {activity} after {event}", ("activity", "event")),
    ("Has a {pet} called {pet_name}", ("pet", "pet_name")),
    ("Walks the {pet} {pet_name} for {minutes} minutes before work", ("pet", "pet_name", "minutes")),
    ("Likes {food} and {show}", ("food", "show")),
    ("Cooks {food} for {name} on Fridays", ("food", "name")),
    ("Is allergic to {food} and takes {med} for it", ("food", "med")),
    ("Uses {tool} to cope with {trigger}", ("tool", "trigger")),
    ("Tried {tool} for {condition} and found it useful", ("tool", "condition")),
    ("Grew up in {city} and trained as a {job}", ("city", "job")),
    ("Partner {name} is a {job}", ("name", "job")),
    ("Daughter {name} started school in {city}", ("name", "city")),
    ("Son {name} loves {activity}", ("name", "activity")),
    ("Mother {name} has {condition}", ("name", "condition")),
    ("Father lives in {city} and struggles with {condition}", ("city", "condition")),
    ("Relaxes with {show} after {activity}", ("show", "activity")),
    ("Avoids {trigger} because of {event}", ("trigger", "event")),
    ("Sleeps better after {activity} and {tool}", ("activity", "tool")),
    ("Does {minutes} minutes of {activity} at lunch", ("minutes", "activity")),
    ("Stopped taking {med} after {event}", ("med", "event")),
    ("Therapist suggested {tool} for {trigger}", ("tool", "trigger")),
    ("Plans a trip to {city} to see {name}", ("city", "name")),
    ("Feels calmer around {pet_name} the {pet}", ("pet_name", "pet")),
    ("Has been {activity} since age {age}", ("activity", "age")),
    ("Eats {food} when stressed about {trigger}", ("food", "trigger")),
    ("Dislikes {show} and {food}", ("show", "food")),
    ("Volunteers as a {job} helper in {city}", ("job", "city")),
)
NOUN_STARTS = {"Best", "Partner", "Daughter", "Son", "Mother", "Father", "Therapist"}
DETAILS = ("most days", "especially lately", "for a few years now", "according to the user", "these days",
           "which matters a lot to them", "at least for now", "as far as they remember", "again recently",
           "and mentions it often")


def fill(template, slots, use, offset):
    """The `use`-th fact from `template`: every slot a different entry than in any other use."""
    lists = {"name": NAMES, "city": CITIES, "job": JOBS, "activity": ACTIVITIES, "food": FOODS,
             "condition": CONDITIONS, "med": MEDS, "trigger": TRIGGERS, "event": EVENTS, "pet": PETS,
             "pet_name": PET_NAMES, "show": SHOWS, "tool": TOOLS, "dose": DOSES, "age": AGES, "minutes": MINUTES}
    # A step between slots that differs by template: two templates with the same kinds of slot do
    # not fill them with the same pairs.
    values = {s: lists[s][(use + 3 * offset + k * (offset + 5)) % len(lists[s])] for k, s in enumerate(slots)}
    return template.format(**values)


def memory_set(n=1000, groups=None, seed=12):
    """`n` memories (texts), shuffled, of which `groups` groups (about 3.5% of n by default) are
    near-duplicates of one fact, alternately of 3 and 2 memories. Returns (texts, planted groups as
    lists of texts)."""
    groups = round(n * 0.035) if groups is None else groups
    sizes = [3 if g % 2 == 0 else 2 for g in range(groups)]
    distinct = n - sum(s - 1 for s in sizes)
    per_template = -(-distinct // len(TEMPLATES))
    if per_template > 32:
        raise ValueError(f"{distinct} distinct facts need more templates")
    facts = [fill(t, slots, use, i) for use in range(per_template) for i, (t, slots) in enumerate(TEMPLATES)]
    facts = facts[:distinct]
    rnd = random.Random(seed)
    planted = []
    for g, size in enumerate(sizes):
        base = facts[(g * 26 + 7) % distinct]
        detail = DETAILS[g % len(DETAILS)]
        # mem0's wording: "User has …", "User's sister …".
        user = "User's " if base.split()[0] in NOUN_STARTS else "User "
        variants = [f"{base}, {detail}", user + base[0].lower() + base[1:]]
        planted.append([base] + variants[:size - 1])
    texts = facts + [v for group in planted for v in group[1:]]
    if len(set(texts)) != n:
        raise ValueError("the memory set has repeats")
    rnd.shuffle(texts)
    return texts, planted
