"""The export key: where it comes from, its public fingerprint, and keyed pseudonyms.

Pseudonyms are HMAC-SHA256 under the export key. With the same key, the same source id gives
the same pseudonym in every release; without the key, nobody can recompute one from a guessed
id (an ObjectId or a `YYYY-MM-DD-NNN` session id can be enumerated, so a plain hash would not do).

>>> key = ExportKey(b"k" * 32, demo=False)
>>> key.pseudonym("session", "2025-10-07-001") == key.pseudonym("session", "2025-10-07-001")
True
>>> key.pseudonym("session", "x") == key.pseudonym("decision", "x")
False
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tractatus_datasets.errors import UsageError

__all__ = ["DEMO_KEY", "ENV_VAR", "MIN_KEY_BYTES", "ExportKey", "load_key"]

ENV_VAR = "TRACTATUS_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16

# Published on purpose: demo releases are reproducible by anyone, and `publish` refuses them.
DEMO_KEY = b"tractatus-datasets public demo key; never use for real data"

_HOW_TO = (
    f"set {ENV_VAR} to a secret of at least {MIN_KEY_BYTES} bytes, or pass --key-file FILE "
    "(for synthetic samples only: --demo-key)"
)


@dataclass(frozen=True, repr=False)
class ExportKey:
    """A pseudonymisation key. Its repr never shows the secret."""

    secret: bytes
    demo: bool

    def __repr__(self) -> str:
        return f"ExportKey(fingerprint={self.fingerprint!r}, demo={self.demo})"

    @property
    def fingerprint(self) -> str:
        """A public identifier of the key: equal keys give equal fingerprints, and it reveals nothing."""
        digest = hmac.new(self.secret, b"tractatus-datasets key fingerprint v1", hashlib.sha256)
        return "sha256:" + digest.hexdigest()[:16]

    def pseudonym(self, namespace: str, value: str) -> str:
        """A 128-bit keyed pseudonym; the namespace keeps a session id and a decision id apart."""
        keyed = _keyed(self.secret, namespace).copy()
        keyed.update(value.encode())
        return keyed.hexdigest()[:32]

    def pseudonyms(self, namespace: str, values: Iterable[str]) -> list[str]:
        """`pseudonym` of each value, in order."""
        return [self.pseudonym(namespace, value) for value in values]


@functools.lru_cache(maxsize=8)
def _keyed(secret: bytes, namespace: str) -> hmac.HMAC:
    """The HMAC of `namespace` and its separator, to be copied and continued with a value: the
    same digest as the HMAC of the whole message, without setting the key up again for each."""
    return hmac.new(secret, f"{namespace}\x00".encode(), hashlib.sha256)


def load_key(key_file: Path | None, demo_key: bool, environ: dict[str, str] | None = None) -> ExportKey:
    """Find the export key: `--key-file`, else `--demo-key`, else the environment. Exit 2 if none."""
    environ = dict(os.environ) if environ is None else environ
    if key_file is not None and demo_key:
        raise UsageError("--key-file and --demo-key exclude each other: choose one")
    if key_file is not None:
        try:
            secret = key_file.read_bytes().rstrip(b"\r\n")
        except OSError as error:
            raise UsageError(f"cannot read key file {key_file}: {error.strerror}; {_HOW_TO}") from None
        return _checked(secret, f"key file {key_file}")
    if demo_key:
        return ExportKey(DEMO_KEY, demo=True)
    if environ.get(ENV_VAR):
        return _checked(environ[ENV_VAR].encode(), ENV_VAR)
    raise UsageError(f"no pseudonym key: {_HOW_TO}")


def _checked(secret: bytes, origin: str) -> ExportKey:
    if len(secret) < MIN_KEY_BYTES:
        raise UsageError(f"{origin} holds {len(secret)} bytes, too short to be a key: {_HOW_TO}")
    if secret == DEMO_KEY:
        raise UsageError(f"{origin} holds the public demo key; use --demo-key to say so explicitly")
    return ExportKey(secret, demo=False)
