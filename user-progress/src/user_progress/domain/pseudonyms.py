"""The names learners are shown to each other by: stable, friendly, and not their ids.

A learner id may be an e-mail address, so the leaderboard never shows it. The display name is drawn
from a keyed hash (HMAC-SHA256 with the deployment's PSEUDONYM_KEY): the same learner always gets the
same name, and without the key nobody can test a guessed id against a name.
"""

from __future__ import annotations

import hashlib
import hmac

ADJECTIVES = (
    "Agile", "Bold", "Bright", "Calm", "Clever", "Curious", "Daring", "Eager",
    "Fearless", "Gentle", "Happy", "Honest", "Keen", "Kind", "Lively", "Lucky",
    "Mighty", "Nimble", "Patient", "Plucky", "Quick", "Quiet", "Rapid", "Sharp",
    "Steady", "Sunny", "Swift", "Tidy", "Upbeat", "Vivid", "Witty", "Zesty",
)  # fmt: skip
ANIMALS = (
    "Badger", "Beaver", "Bison", "Cheetah", "Crane", "Dolphin", "Eagle", "Falcon",
    "Ferret", "Fox", "Gecko", "Heron", "Ibis", "Jaguar", "Koala", "Lemur",
    "Lynx", "Marten", "Narwhal", "Ocelot", "Otter", "Owl", "Panda", "Puffin",
    "Python", "Quokka", "Raven", "Seal", "Tapir", "Tiger", "Walrus", "Wombat",
)  # fmt: skip


def display_name(learner_id: str, key: bytes) -> str:
    """``Curious Otter 4821``: 32 x 32 x 10,000 names, so two learners on one board rarely share one."""
    digest = hmac.new(key, learner_id.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[2:6], "big") % 10_000
    return f"{ADJECTIVES[digest[0] % len(ADJECTIVES)]} {ANIMALS[digest[1] % len(ANIMALS)]} {number:04d}"
