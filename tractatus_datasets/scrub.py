"""Scrub free text: decode what hides a leak (JSON inside a string, URL encoding, base64), then
replace every detected span with a typed placeholder such as `[PATH]`, counting per type.

Scrubbing is idempotent: scrubbing a scrubbed text changes nothing.

>>> scrub('{"note": "ask jdoe@example.org"}')
('{"note": "ask [EMAIL]"}', {'email': 1, 'json_in_string': 1})
>>> scrub("path=%2Fhome%2Fjdoe%2Fnotes")
('path=[PATH]', {'posix_path': 1, 'url_encoded': 1})
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from tractatus_datasets.detectors import DETECTORS, ENCODED_SHAPES, scrub_plain

__all__ = ["detect", "scrub"]

_PLACEHOLDERS = {detector.name: detector.placeholder for detector in DETECTORS}
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_MAX_DEPTH = 3  # nesting of decodings (JSON in base64 in a URL…)
_MAX_ROUNDS = 8
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescape(text: str) -> str:
    """JSON and JavaScript string escapes, as found in logs that embed serialised objects."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text).replace("\\/", "/")


# Encodings that can hide a leak from the patterns: (counter name, cheap marker, one decoding step).
_DECODINGS = (("url_encoded", "%", unquote), ("escaped", "\\", _unescape))


def _fixed_point(step: Callable[[str], str], text: str, limit: int) -> str:
    """Apply `step` until the text stops changing, at most `limit` times."""
    for _ in range(limit):
        changed = step(text)
        if changed == text:
            break
        text = changed
    return text


def _decode_base64(token: str) -> str | None:
    """The text a token encodes, when it is base64 of printable UTF-8; else None."""
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if text and all(c.isprintable() or c in "\n\r\t" for c in text) else None


def _json_scrub(value: Any, counts: Counter[str], depth: int) -> Any:
    if isinstance(value, str):
        return _scrub(value, counts, depth)
    if isinstance(value, list):
        return [_json_scrub(item, counts, depth) for item in value]
    if isinstance(value, dict):
        return {_scrub(key, counts, depth): _json_scrub(item, counts, depth) for key, item in value.items()}
    return value


def _scrub(text: str, counts: Counter[str], depth: int) -> str:
    if depth < _MAX_DEPTH:
        stripped = text.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                value = json.loads(stripped)
            except ValueError:
                pass
            else:
                inner: Counter[str] = Counter()
                cleaned = json.dumps(_json_scrub(value, inner, depth + 1), ensure_ascii=False)
                if inner:
                    counts.update(inner)
                    counts["json_in_string"] += 1
                    return cleaned
        for name, marker, decode in _DECODINGS:
            if marker not in text:
                continue
            decoded = _fixed_point(decode, text, _MAX_DEPTH)  # so that a second pass finds nothing new
            if decoded != text:
                inner = Counter()
                cleaned = _scrub(decoded, inner, depth + 1)
                if inner:
                    counts.update(inner)
                    counts[name] += 1
                    return cleaned
        text = scrub_plain(text, counts, only=ENCODED_SHAPES)
        text = _BASE64.sub(lambda match: _base64_replacement(match.group(), counts, depth), text)
    # Replacing one span can expose its neighbour (`host::6306AKIA…/home/x`): repeat to a fixed point.
    return _fixed_point(lambda current: scrub_plain(current, counts), text, _MAX_ROUNDS)


def _base64_replacement(token: str, counts: Counter[str], depth: int) -> str:
    decoded = _decode_base64(token)
    if decoded is None:
        return token
    inner: Counter[str] = Counter()
    _scrub(decoded, inner, depth + 1)
    if not inner:
        return token
    counts.update(inner)
    counts["base64_encoded"] += 1
    first = next(name for name in _PLACEHOLDERS if name in inner)
    return _PLACEHOLDERS[first]


def scrub(text: str) -> tuple[str, dict[str, int]]:
    """The text with every detected leak replaced by a typed placeholder, and the counts per type."""
    counts: Counter[str] = Counter()
    cleaned = _scrub(text, counts, 0)
    return cleaned, dict(sorted(counts.items()))


def detect(text: str) -> list[str]:
    """Names of everything `scrub` would replace in `text`, including what decoding reveals."""
    return sorted(scrub(text)[1])
