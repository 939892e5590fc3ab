"""Detectors and scrubbing: every leak category is caught, plain or encoded; ordinary release text is not."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import random
import string
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.leaks import Leak, leaks
from tractatus_audit_corpus.mapping import KNOWN_VERDICTS
from tractatus_audit_corpus.models import LABELS
from tractatus_audit_corpus.vocab import Action, Domain, PressureLevel, Service
from tractatus_datasets.detectors import DETECTORS, scrub_plain
from tractatus_datasets.scrub import detect, scrub

LEAKS = leaks()
DETECTED = [leak for leak in LEAKS if leak.detector is not None]


def test_the_corpus_has_at_least_forty_categories() -> None:
    assert len({leak.category for leak in LEAKS}) == len(LEAKS) >= 40
    assert leaks() == LEAKS and leaks(seed=1) != LEAKS  # generated, and reproducible


@pytest.mark.parametrize("leak", DETECTED, ids=lambda leak: leak.category)
@pytest.mark.parametrize("context", ["{}", "see {} for details", "[{}]", '"{}",', "{}\nnext line"])
def test_every_category_is_detected_and_scrubbed(leak: Leak, context: str) -> None:
    text = context.format(leak.value)
    assert leak.detector in detect(text)
    cleaned, counts = scrub(text)
    assert counts and all(needle not in cleaned for needle in leak.needles), cleaned


@pytest.mark.parametrize(
    "text",
    [
        *(member.value for enum in (Service, Action, PressureLevel, Domain) for member in enum),
        *KNOWN_VERDICTS,
        *LABELS,
        "inst_016",
        "inst_1761360000000",
        "STR-002",
        "TRA-OPS-0002",
        "c0be6af69b0e6ebc1e9e97ee9d1abcfa",
        "2025-10-25",
        "2025-10-25T03:19:07+00:00",
        "2025-10-25 03:19:00+00:00",
        "10:12:33",
        "1.0.0",
        "v1.2.0",
        "12.2",
        "auditLogs.json",
        "decisions-2025-10-10.jsonl",
        "README.md",
        "MANIFEST.json",
        "Node.js",
        "data/full/train-00000-of-00001.parquet",
        "data/full/train-*",
        "cc-by-sa-4.0",
        "HMAC-SHA256",
        "https://huggingface.co/datasets/tractatus-framework/audit-decisions",
        "https://github.com/AgenticGovernance/tractatus-framework",
        "e.g. `12.2 Innovation`",
        "and/or",
        "0.42",
        "sha256:8d0c58df057d18bd",
        'load_dataset("build/audit-decisions", "incidents")',
        "ds['train'].with_format('arrow').iter(batch_size=10_000)",
        "127.0.0.1",
        "listen on 0.0.0.0:8080",
        "255.255.255.255",
        "::1",
        "https://huggingface.co:443/datasets/tractatus-framework/audit-decisions",
        "https://github.com./AgenticGovernance",
        "localhost",
        "Pressure is escalating rapidly",
        "InstructionPersistenceClassifier",
        "REQUIRE_HUMAN_INTERVENTION",
        "100% of rows",
        "a \\ b",
        "key fingerprint",
        "token budget of 200,000",
        "The risk-assessment step",
    ],
)
def test_ordinary_release_text_is_not_a_leak(text: str) -> None:
    assert detect(text) == []
    assert scrub(text) == (text, {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://docs.github.com/en/get-started", []),
        ("mirror at datasets.huggingface.co", []),
        ("https://acme-github.com/builds/42", ["url"]),
        ("build server notexample.org:8080", ["host"]),
    ],
)
def test_a_public_host_covers_its_subdomains_not_every_name_ending_in_it(
    text: str, expected: list[str]
) -> None:
    """`acme-github.com` is somebody's own host: only `github.com` and names under it are public."""
    assert detect(text) == expected


def test_placeholders_are_never_detected_again() -> None:
    for detector in DETECTORS:
        assert detect(f"x {detector.placeholder} y") == [], detector.name


BY_NAME = {leak.category: leak.value for leak in LEAKS}


def test_counts_are_per_type() -> None:
    text = f"{BY_NAME['email']} and {BY_NAME['email_upper_case']} from {BY_NAME['ipv4']} at {BY_NAME['posix_home_path']}"
    assert scrub(text)[1] == {"email": 2, "ipv4": 1, "posix_path": 1}


def test_replacing_two_matches_keeps_the_text_before_them_for_later_detectors() -> None:
    # `email` runs before `posix_path`: the path in front of the e-mails must still be there for it.
    text = f"{BY_NAME['posix_home_path']} from {BY_NAME['email']} and {BY_NAME['email_upper_case']}"
    assert scrub(text) == ("[PATH] from [EMAIL] and [EMAIL]", {"email": 2, "posix_path": 1})


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ('{"jdoe@example.org": "café"}', '{"[EMAIL]": "café"}'),  # a key; text that is not ASCII
        ('["jdoe\\u0040example.org"]', '["[EMAIL]"]'),  # an item, seen as an e-mail once decoded
    ],
)
def test_json_in_a_string_is_scrubbed_where_it_stands(text: str, cleaned: str) -> None:
    assert scrub(text) == (cleaned, {"email": 1, "json_in_string": 1})


def test_a_path_with_escaped_slashes_is_found() -> None:
    """As JSON encoders that escape `/` write it (`"\\/home\\/jdoe"`)."""
    assert scrub("path \\/home\\/jdoe\\/notes.txt") == ("path [PATH]", {"escaped": 1, "posix_path": 1})


def test_an_ipv6_address_with_a_zone_is_found_up_to_the_zone() -> None:
    address = str(ipaddress.IPv6Address((0xFE80 << 112) | 0x1FF_FE23_4567_890A))
    assert scrub(f"{address}%eth2") == ("[IP]%eth2", {"ipv6": 1})


def test_random_hex_of_forty_characters_or_more_is_high_entropy() -> None:
    """Hex runs shorter than 40 (an ObjectId, an MD5) are not flagged; runs of 40 or more (a SHA-1,
    a hex secret) are, in either case. A run of digits is a number, not a secret."""
    rng = random.Random(3)
    token = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    assert detect(token) == detect(token.upper()) == ["high_entropy"]
    assert detect(token[:39]) == detect("1234567890" * 4) == []


def test_a_random_token_of_the_shortest_length_looked_at_is_high_entropy() -> None:
    """24 characters mixing lower and upper case and digits: at most log2(24) ≈ 4.58 bits a character."""
    rng = random.Random(0)
    token = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
    assert detect(token) == ["high_entropy"]
    assert detect(token[:23]) == []


def _urlsafe_unpadded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("tail", ["x", "xy"], ids=["two-short-of-a-quad", "one-short-of-a-quad"])
def test_url_safe_base64_without_padding_is_decoded(tail: str) -> None:
    lead = BY_NAME["posix_home_path"] + " "
    lead += " " * (-len(lead) % 3)  # so that `~~~` and `???` encode as `fn5-` and `Pz8_`
    token = _urlsafe_unpadded(lead + "~~~???" + tail)
    assert "-" in token and "_" in token and len(token) % 4 == len(tail) + 1
    assert scrub(f"blob {token}") == ("blob [PATH]", {"base64_encoded": 1, "posix_path": 1})


def test_a_leak_under_three_nested_encodings_is_found() -> None:
    """Base64 of URL-encoded text holding base64 of a path: three decodings, the most `scrub` makes."""
    inner = base64.b64encode(BY_NAME["posix_home_path"].encode()).decode()
    outer = base64.b64encode(quote(f"see {inner}", safe="").encode()).decode()
    assert scrub(f"blob {outer}") == (
        "blob [PATH]",
        {"base64_encoded": 2, "posix_path": 1, "url_encoded": 1},
    )


pieces = st.sampled_from(
    [leak.value for leak in LEAKS] + ["inst_016", "12.2 Innovation", "PROCEED", " ", "\n", "%", "="]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(pieces | st.text(max_size=20), max_size=6).map("".join))
def test_scrubbing_twice_equals_scrubbing_once(text: str) -> None:
    once, _ = scrub(text)
    assert scrub(once) == (once, {})


def test_a_host_is_replaced_whole_up_to_the_dns_limit_of_labels() -> None:
    within = "a." * 120 + "build.acme-corp.io"  # 123 labels: a DNS name may have up to 127
    assert scrub_plain(f"see {within}:8080 now") == "see [HOST] now"
    beyond = "a." * 130 + "build.acme-corp.io"  # no DNS name is this long: its last 127 labels go
    assert scrub_plain(f"see {beyond} now") == "see " + "a." * 6 + "[HOST] now"


def test_detection_time_stays_reasonable_on_long_text() -> None:
    # A guard against catastrophic backtracking: correctness-only (speed is in scripts/bench_detectors.py).
    text = ("a/" * 5_000) + ("1." * 5_000) + ("x@" * 5_000) + ("%" * 1_000)
    start = dt.datetime.now()
    scrub(text)
    assert (dt.datetime.now() - start).total_seconds() < 30
