"""An adversarial corpus of leak categories, every value generated at test time.

No secret-shaped literal is written here: key prefixes are assembled from parts and bodies drawn
from a seeded generator, so secret scanners have nothing to find in git, while the detectors see
exactly the shapes real leaks take.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass
from urllib.parse import quote

ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Leak:
    category: str
    value: str  # what is planted
    needles: tuple[str, ...]  # what must never appear in a release (the value and what it encodes)
    detector: str | None  # the detector expected to fire on the value; None: exact identifiers only


def _random(rng: random.Random, length: int, alphabet: str = ALNUM) -> str:
    while True:
        text = "".join(rng.choice(alphabet) for _ in range(length))
        if alphabet != ALNUM or (
            any(c.islower() for c in text)
            and any(c.isupper() for c in text)
            and any(c.isdigit() for c in text)
        ):
            return text


def _label(rng: random.Random) -> str:
    return _random(rng, 6, string.ascii_lowercase) + str(rng.randint(10, 99))


def leaks(seed: int = 0) -> list[Leak]:
    """At least forty categories; the same seed gives the same values."""
    rng = random.Random(seed)
    user, host = _label(rng), f"{_label(rng)}.{_label(rng)}.internal"
    domain = f"{_label(rng)}.com"
    email = f"{user}.{_label(rng)}@{domain}"
    path = f"/home/{user}/projects/{_label(rng)}/notes.txt"
    ipv4 = f"{rng.randint(11, 99)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}"
    password = _random(rng, 14)
    token = _random(rng, 32)
    dash, under = "-", "_"
    header = "-" * 5 + "BEGIN " + "RSA PRIVATE" + " KEY" + "-" * 5
    footer = "-" * 5 + "END " + "RSA PRIVATE" + " KEY" + "-" * 5

    def b64url(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    items: list[tuple[str, str, str | None, tuple[str, ...]]] = [
        ("posix_home_path", path, "posix_path", ()),
        ("posix_system_path", f"/var/www/{_label(rng)}/config/{_label(rng)}.yml", "posix_path", ()),
        ("tilde_path", f"~/{_label(rng)}/{_label(rng)}.txt", "posix_path", ()),
        ("windows_path", f"C:\\Users\\{user}\\Documents\\{_label(rng)}.docx", "windows_path", ()),
        ("unc_path", f"\\\\{_label(rng)}\\share\\{user}\\{_label(rng)}.xlsx", "unc_path", ()),
        ("file_url", f"file:///home/{user}/{_label(rng)}.txt", "file_url", ()),
        ("email", email, "email", ()),
        ("email_upper_case", email.upper(), "email", ()),
        ("email_in_mailto", f"[write](mailto:{email})", "email", (email,)),
        ("ipv4", ipv4, "ipv4", ()),
        ("ipv4_with_port", f"{ipv4}:{rng.randint(1024, 65535)}", "ipv4", (ipv4,)),
        ("ipv6_full", ":".join(f"{rng.randrange(4096, 65536):x}" for _ in range(8)), "ipv6", ()),
        (
            "ipv6_compressed",
            f"2001:db8:{rng.randrange(4096, 65536):x}::{rng.randrange(4096, 65536):x}",
            "ipv6",
            (),
        ),
        ("ipv4_mapped_ipv6", f"::ffff:{ipv4}", "ipv6", (ipv4,)),
        ("url_with_credentials", f"https://{user}:{password}@{host}/admin", "url_credentials", (password,)),
        ("url_with_token", f"https://{host}/api/v1/export?access_token={token}", "url_token", (token,)),
        ("hostname", host, "host", ()),
        ("host_with_port", f"{_label(rng)}.corp:{rng.randint(1024, 65535)}", "host", ()),
        (
            "mongodb_uri",
            f"mongodb://{user}:{password}@{host}:27017/tractatus_prod",
            "database_uri",
            (password,),
        ),
        ("postgres_uri", f"postgresql://{user}@{host}:5432/{_label(rng)}", "database_uri", ()),
        ("redis_uri", f"redis://:{password}@{host}:6379/0", "database_uri", (password,)),
        (
            "aws_access_key_id",
            "AK" + "IA" + _random(rng, 16, string.ascii_uppercase + string.digits),
            "aws_access_key",
            (),
        ),
        ("aws_secret_assignment", f"aws_secret_access_key = {_random(rng, 40)}", "secret_assignment", ()),
        ("github_classic_token", "gh" + "p_" + _random(rng, 36), "github_token", ()),
        (
            "github_fine_grained_token",
            "github" + "_pat_" + _random(rng, 22) + "_" + _random(rng, 59),
            "github_token",
            (),
        ),
        (
            "slack_bot_token",
            "xo" + "xb-" + f"{rng.randint(10**11, 10**12)}-{rng.randint(10**11, 10**12)}-{_random(rng, 24)}",
            "slack_token",
            (),
        ),
        (
            "slack_webhook",
            f"https://hooks.slack.com/services/T{_random(rng, 8).upper()}/B{_random(rng, 8).upper()}/{_random(rng, 24)}",
            "slack_webhook",
            (),
        ),
        ("openai_key", "sk" + dash + "proj" + dash + _random(rng, 48), "openai_key", ()),
        (
            "anthropic_key",
            "sk" + dash + "ant" + dash + "api03" + dash + _random(rng, 86) + "-AA",
            "anthropic_key",
            (),
        ),
        ("stripe_secret_key", "sk" + under + "live" + under + _random(rng, 24), "stripe_key", ()),
        ("google_api_key", "AI" + "za" + _random(rng, 35), "google_api_key", ()),
        (
            "jwt",
            f"{b64url({'alg': 'HS256', 'typ': 'JWT'})}.{b64url({'sub': user, 'email': email})}.{_random(rng, 43)}",
            "jwt",
            (user,),
        ),
        (
            "pem_private_key",
            "\n".join([header, *(_random(rng, 64) for _ in range(4)), footer]),
            "pem_block",
            (),
        ),
        (
            "ssh_public_key",
            "ssh" + "-ed25519 " + "AAAA" + _random(rng, 64) + f" {user}@{_label(rng)}",
            "ssh_key",
            (),
        ),
        ("bearer_token", f"Authorization: Bearer {token}", "bearer_token", (token,)),
        ("password_assignment", f"password={password}", "secret_assignment", (password,)),
        ("api_key_assignment", f'api_key: "{token}"', "secret_assignment", (token,)),
        ("high_entropy_string", _random(rng, 40), "high_entropy", ()),
        ("json_in_string", json.dumps({"contact": email, "file": path}), "email", (email, path)),
        (
            "json_unicode_escape",
            '{"who": "' + email.replace("@", "\\u0040") + '"}',
            "email",
            (email, email.replace("@", "\\u0040")),
        ),
        ("url_encoded_path", quote(path, safe=""), "posix_path", (path,)),
        ("double_url_encoded_email", quote(quote(email, safe=""), safe=""), "email", (email,)),
        ("base64_email", base64.b64encode(email.encode()).decode(), "email", (email,)),
        ("base64_path", base64.b64encode(path.encode()).decode(), "posix_path", (path,)),
        (
            "session_id",
            f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}-{rng.randint(0, 999):03d}",
            "session_id",
            (),
        ),
        ("database_name", "tractatus_" + rng.choice(["dev", "prod", "test"]), "database_name", ()),
        ("user_id_objectid", rng.randbytes(12).hex(), None, ()),
        ("user_agent", f"Mozilla/5.0 (X11; Linux x86_64) {_label(rng)}/{rng.randint(1, 200)}.0", None, ()),
    ]
    return [Leak(category, value, (value, *extra), detector) for category, value, detector, extra in items]


# Values that must survive an export untouched: the vocabulary a release is made of.
NEGATIVE_CONTROLS = {
    "rules": ["inst_016", "inst_017", "inst_018"],
    "services": ["BoundaryEnforcer", "ContextPressureMonitor"],
    "boundaries": ["12.1 Values", "12.2 Innovation"],
    "pressure": ["NORMAL", "HIGH"],
}
