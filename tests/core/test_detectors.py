"""Detectors and scrubbing: every leak category is caught, plain or encoded; ordinary release text is not."""

from __future__ import annotations

import datetime as dt

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


def test_counts_are_per_type() -> None:
    by_name = {leak.category: leak.value for leak in LEAKS}
    text = f"{by_name['email']} and {by_name['email_upper_case']} from {by_name['ipv4']} at {by_name['posix_home_path']}"
    assert scrub(text)[1] == {"email": 2, "ipv4": 1, "posix_path": 1}


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
