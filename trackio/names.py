"""Readable run names in wandb's `adjective-noun-N` style."""

from __future__ import annotations

import random

_ADJECTIVES = [
    "amber",
    "azure",
    "bold",
    "brave",
    "bright",
    "calm",
    "clever",
    "cosmic",
    "crimson",
    "daring",
    "dazzling",
    "eager",
    "fancy",
    "fearless",
    "gentle",
    "glad",
    "golden",
    "graceful",
    "happy",
    "hidden",
    "icy",
    "jolly",
    "keen",
    "lively",
    "lucky",
    "mellow",
    "misty",
    "noble",
    "olive",
    "patient",
    "polished",
    "proud",
    "quiet",
    "rapid",
    "royal",
    "rustic",
    "serene",
    "silent",
    "silver",
    "smooth",
    "snowy",
    "solar",
    "spring",
    "stellar",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "warm",
    "wild",
    "wise",
]
_NOUNS = [
    "aurora",
    "badger",
    "bird",
    "breeze",
    "brook",
    "canyon",
    "cloud",
    "comet",
    "dawn",
    "delta",
    "dew",
    "dune",
    "eagle",
    "ember",
    "falcon",
    "fern",
    "field",
    "firefly",
    "forest",
    "frost",
    "galaxy",
    "glade",
    "grove",
    "harbor",
    "hill",
    "lake",
    "leaf",
    "meadow",
    "moon",
    "mountain",
    "nebula",
    "ocean",
    "orbit",
    "otter",
    "panda",
    "pine",
    "planet",
    "pond",
    "rain",
    "river",
    "shadow",
    "sky",
    "snow",
    "sound",
    "star",
    "stone",
    "sun",
    "thunder",
    "tree",
    "valley",
    "wave",
    "wind",
]


def generate_run_name(run_number: int, taken: set[str]) -> str:
    """A name like `swift-river-7` not in `taken`; the number counts runs in the project."""
    number = run_number
    while True:
        name = f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{number}"
        if name not in taken:
            return name
        number += 1


_RUN_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_run_id() -> str:
    """A random 8-character run id, as wandb makes them."""
    import secrets

    return "".join(secrets.choice(_RUN_ID_ALPHABET) for _ in range(8))
