"""Articles written for the profile tests: a newsroom whose own labels follow words the
shipped model has no reason to weigh (its "alarm" desk against its "ledger" desk), so only
an adapter that learns the newsroom's words can rank them."""

from __future__ import annotations

import random
from typing import Any

TOPICS = ["the harbour bridge", "the school board", "the water utility", "the night market",
          "the rail depot", "the city archive", "the tram line", "the recycling plant"]
ALARM = ["kestrel desk", "red siren bulletin", "kestrel alert"]
LEDGER = ["heron desk", "ledger note", "heron digest"]
VERBS = ["reviewed", "discussed", "published figures on", "held a meeting about",
         "issued a statement on", "opened a consultation on"]


def article(i: int, label: int, rng: random.Random) -> dict[str, Any]:
    tag = rng.choice(ALARM if label else LEDGER)
    topic = rng.choice(TOPICS)
    verb = rng.choice(VERBS)
    headline = f"{tag.title()}: officials {verb} {topic}"
    body = (f"From the {tag}. On day {i % 28 + 1} the council {verb} {topic}. "
            f"A spokesperson said the work on {rng.choice(TOPICS)} continues as planned. "
            f"Residents can read the minutes online.")
    return {"id": f"art-{i}", "headline": headline, "body": body, "label": label}


def newsroom(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [article(i, i % 2, rng) for i in range(n)]
