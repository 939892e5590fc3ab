"""Synthetic people for the sample: the personal data real audit logs hold, invented from the seed.

Addresses come from the ranges reserved for documentation (RFC 5737, RFC 3849) and e-mail domains
from RFC 2606, so no sample value can belong to anyone.
"""

from __future__ import annotations

import random

from tractatus_audit_corpus.sample_payloads import Person, secret

__all__ = ["people"]

_NAMES = ["jdoe", "mkaur", "tmorgan", "aroberts", "lnguyen", "pwhite"]
_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:143.0) Gecko/20100101 Firefox/143.0",
    "claude-cli/2.0.27 (external, cli)",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
]


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return f"2001:db8:{rng.randrange(1 << 16):x}::{rng.randrange(1 << 16):x}"
    prefix = rng.choice(["192.0.2", "198.51.100", "203.0.113"])
    return f"{prefix}.{rng.randint(1, 254)}"


def people(rng: random.Random, count: int = 4, credentials: bool = True) -> list[Person]:
    names = rng.sample(_NAMES, count)
    return [
        Person(
            user=name,
            email=f"{name}@{rng.choice(['example.org', 'example.com', 'example.net'])}",
            user_id=rng.randbytes(12).hex(),
            ip=_ip(rng),
            user_agent=rng.choice(_AGENTS),
            host=f"vps-{rng.randbytes(4).hex()}.vps.ovh.net",
            password=secret(rng, 16) if credentials else None,
        )
        for name in names
    ]
