"""Detectors of personal data and secrets, used to scrub free text and by the leak gate.

Each detector is a regular expression behind a cheap guard (a substring or character test that
every match must pass), so that most texts never reach the expensive pattern. The categories follow
the framework's own `validate-public-sync.js` redaction list (facts §5) and common secret shapes.
Order matters: specific shapes (a PEM block, a URL with credentials) are replaced before the general
ones (a path, a host name) could take part of them.

>>> scrub_plain("mail jdoe@Example.ORG from /home/jdoe/x.txt")
'mail [EMAIL] from [PATH]'
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DETECTORS", "ENCODED_SHAPES", "Detector", "entropy", "scrub_plain"]

# Hosts that public documentation may name; never flagged as a host-name leak.
PUBLIC_HOSTS = frozenset(
    {
        "huggingface.co",
        "github.com",
        "creativecommons.org",
        "json-schema.org",
        "schema.org",
        "mlcommons.org",
        "doi.org",
        "zenodo.org",
        "keepachangelog.com",
        "purl.org",
        "example.com",
        "example.org",
        "example.net",
    }
)
# Top-level domains a host-name leak ends with; file extensions such as .md, .py and .js are not here.
_TLDS = (
    "com|org|net|edu|gov|mil|int|io|ai|dev|app|cloud|co|uk|nz|au|de|fr|nl|eu|ca|us|jp|cn|ru|in|br|ch|se|no|"
    "info|biz|xyz|tech|site|online|local|internal|lan|corp|home|example|test|invalid|localdomain"
)


def entropy(text: str) -> float:
    """Shannon entropy in bits per character.

    >>> entropy("aabb"), entropy("abcd")
    (1.0, 2.0)
    """
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _is_ip(text: str) -> bool:
    # No match holds an IPv6 zone (`fe80::1%eth0`): the patterns end before the `%`.
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    # Addresses that identify no one (as in the framework's own validate-public-sync.js).
    return str(address) not in {"0.0.0.0", "127.0.0.1", "255.255.255.255", "::", "::1"}  # noqa: S104


def _looks_random(token: str) -> bool:
    if token.isalpha() or token.isdigit():
        return False
    hex_only = all(c in "0123456789abcdefABCDEF" for c in token)
    if hex_only:
        return len(token) >= 40 and entropy(token) >= 3.0
    classes = sum(
        (any(c.islower() for c in token), any(c.isupper() for c in token), any(c.isdigit() for c in token))
    )
    return classes == 3 and entropy(token) >= 3.7


def _public_host(match: str) -> bool:
    host = match.split(":")[0].lower().rstrip(".")
    return not any(host == public or host.endswith("." + public) for public in PUBLIC_HOSTS)


@dataclass(frozen=True)
class Detector:
    """One kind of leak: a guard every match passes, the pattern, and an optional final check."""

    name: str
    placeholder: str
    guard: Callable[[str], bool]
    pattern: re.Pattern[str]
    confirm: Callable[[str], bool] | None = None


def _has(*needles: str) -> Callable[[str], bool]:
    return lambda text: any(needle in text for needle in needles)


def _has_lower(*needles: str) -> Callable[[str], bool]:
    return lambda text: any(needle in text.lower() for needle in needles)


def _d(
    name: str,
    placeholder: str,
    guard: Callable[[str], bool],
    pattern: str,
    flags: int = 0,
    confirm: Callable[[str], bool] | None = None,
) -> Detector:
    return Detector(name, placeholder, guard, re.compile(pattern, flags), confirm)


_URL_CHARS = r"[^\s\"'<>`]"
DETECTORS: tuple[Detector, ...] = (
    _d(
        "pem_block",
        "[PRIVATE_KEY]",
        _has("-----BEGIN"),
        r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)",
        re.S,
    ),
    _d(
        "ssh_key",
        "[SSH_KEY]",
        _has("ssh-", "ecdsa-"),
        r"\b(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+) AAAA[A-Za-z0-9+/=]+",
    ),
    _d("jwt", "[JWT]", _has("eyJ"), r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    _d(
        "database_uri",
        "[DATABASE_URI]",
        _has("://"),
        rf"\b(?:mongodb(?:\+srv)?|postgres(?:ql)?|mysql|mariadb|redis|rediss|amqps?|mssql|sqlserver|jdbc:[a-z]+)://{_URL_CHARS}+",
    ),
    _d(
        "url_credentials",
        "[URL]",
        _has("@"),
        rf"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/@:]+:[^\s/@]+@{_URL_CHARS}+",
    ),
    _d(
        "slack_webhook",
        "[SLACK_WEBHOOK]",
        _has("hooks.slack.com"),
        rf"https?://hooks\.slack\.com/{_URL_CHARS}+",
    ),
    _d(
        "url_token",
        "[URL]",
        _has("="),
        rf"\b[a-zA-Z][a-zA-Z0-9+.-]*://{_URL_CHARS}*[?&#](?:access_token|token|api_?key|key|secret|sig|signature|password|auth|code)=[^\s&#]+{_URL_CHARS}*",
        re.I,
    ),
    _d("file_url", "[PATH]", _has_lower("file:"), rf"\bfile:/{_URL_CHARS}+", re.I),
    _d("anthropic_key", "[API_KEY]", _has("sk-ant-"), r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    _d("openai_key", "[API_KEY]", _has("sk-"), r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    _d(
        "stripe_key",
        "[API_KEY]",
        _has("_live_", "_test_", "whsec_"),
        r"\b(?:(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{16,})",
    ),
    _d(
        "github_token",
        "[API_KEY]",
        _has("gh", "github_pat_"),
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})",
    ),
    _d("slack_token", "[API_KEY]", _has("xox"), r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    _d("aws_access_key", "[API_KEY]", _has("AKIA", "ASIA"), r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    _d("google_api_key", "[API_KEY]", _has("AIza"), r"\bAIza[0-9A-Za-z_-]{35}"),
    _d("bearer_token", "Bearer [TOKEN]", _has_lower("bearer"), r"\bBearer\s+[A-Za-z0-9._~+/-]+=*", re.I),
    _d(
        "secret_assignment",
        "[SECRET]",
        _has_lower("pass", "pwd", "key", "secret", "token", "auth"),
        r"""\b(?:password|passwd|pwd|api[_-]?key|apikey|secret(?:[_-]?key)?|access[_-]?key(?:[_-]?id)?|auth[_-]?token|token|aws_secret_access_key)["']?\s*[:=]\s*["']?[^\s"',;]{4,}""",
        re.I,
    ),
    _d(
        "email",
        "[EMAIL]",
        _has("@"),
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
    ),
    _d(
        "url",
        "[URL]",
        _has("://"),
        rf"\bhttps?://{_URL_CHARS}+",
        confirm=lambda m: _public_host(m.split("://", 1)[1].split("/")[0]),
    ),
    _d("unc_path", "[PATH]", _has("\\\\"), r"\\\\[A-Za-z0-9_.$-]+\\[^\s\"'<>|]+"),
    _d(
        "windows_path",
        "[PATH]",
        _has(":\\", ":/"),
        r"\b[A-Za-z]:[\\/](?:[^\\/\s\"'<>|:*?]+[\\/])*[^\\/\s\"'<>|:*?]*",
    ),
    _d(
        "host",
        "[HOST]",
        lambda text: "." in text or "localhost" in text,
        # At most 126 labels before the top-level one, as in any DNS name: a long dotted run then
        # costs each start a bounded scan, not one to the run's end (12 s on 5,000 labels).
        rf"\b(?:localhost:\d{{2,5}}|(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.){{1,126}}(?:{_TLDS})(?::\d{{2,5}})?)\b",
        re.I,
        confirm=_public_host,
    ),
    _d(
        "ipv6",
        "[IP]",
        _has(":"),
        r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])",
        confirm=lambda m: m.count(":") >= 2 and any(c.isalnum() for c in m) and _is_ip(m),
    ),
    _d("ipv4", "[IP]", _has("."), r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])", confirm=_is_ip),
    _d("session_id", "[SESSION]", _has("-"), r"\b20\d\d-[01]\d-[0-3]\d-\d{3}\b"),
    _d("database_name", "[DATABASE_NAME]", _has("tractatus_"), r"\btractatus_(?:dev|prod|test)\b"),
    _d("posix_path", "[PATH]", _has("/"), r"(?<![\w.:/])(?:~|/)(?:[\w.@+-]+/)+[\w.@+-]*|~/[\w.@+-]+"),
    _d(
        "high_entropy",
        "[HIGH_ENTROPY]",
        lambda text: len(text) >= 24,
        r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,}(?![A-Za-z0-9+/_=-])",
        confirm=_looks_random,
    ),
)


def _matches(detector: Detector, text: str) -> list[re.Match[str]]:
    if not detector.guard(text):
        return []
    return [
        m for m in detector.pattern.finditer(text) if detector.confirm is None or detector.confirm(m.group())
    ]


# Shapes whose body is itself base64: replaced before any base64 decoding could take them apart.
ENCODED_SHAPES = frozenset({"pem_block", "ssh_key", "jwt"})


def scrub_plain(text: str, counts: Counter[str] | None = None, only: frozenset[str] | None = None) -> str:
    """Replace every detected span with its placeholder, detector by detector, counting by type."""
    for detector in DETECTORS:
        if only is not None and detector.name not in only:
            continue
        found = _matches(detector, text)
        if not found:
            continue
        if counts is not None:
            counts[detector.name] += len(found)
        parts, last = [], 0
        for match in found:
            parts += [text[last : match.start()], detector.placeholder]
            last = match.end()
        text = "".join([*parts, text[last:]])
    return text
