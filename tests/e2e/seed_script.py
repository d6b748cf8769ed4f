"""The seed app's demo conversation, replayed by the chat, memory and proxy tests."""

SEED_SCRIPT = [
    "Hi, I am a war veteran. I was deployed in Afghanistan and since coming home I have been dealing with PTSD.",
    "Can you suggest some physical therapy centres in the US that work with veterans?",
    "Do you remember my war story? The country?",
]
