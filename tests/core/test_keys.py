"""The export key: where it comes from, what is published of it, and pseudonym stability."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import make_key
from tractatus_datasets.errors import UsageError
from tractatus_datasets.keys import DEMO_KEY, ENV_VAR, MIN_KEY_BYTES, ExportKey, load_key


def test_without_a_key_the_export_stops_and_says_how_to_provide_one() -> None:
    with pytest.raises(UsageError) as caught:
        load_key(None, demo_key=False, environ={})
    assert (
        ENV_VAR in str(caught.value)
        and "--key-file" in str(caught.value)
        and "--demo-key" in str(caught.value)
    )
    assert caught.value.exit_code == 2


def test_key_sources(tmp_path: Path) -> None:
    secret = make_key().secret
    key_file = tmp_path / "key"
    key_file.write_bytes(secret + b"\n")
    from_file = load_key(key_file, demo_key=False, environ={})
    from_environment = load_key(None, demo_key=False, environ={ENV_VAR: secret.decode()})
    # Not a demo key: `publish` would refuse its release.
    assert (
        (from_file.secret, from_file.demo)
        == (from_environment.secret, from_environment.demo)
        == (secret, False)
    )
    demo = load_key(None, demo_key=True, environ={ENV_VAR: secret.decode()})  # the explicit flag wins
    assert (demo.secret, demo.demo) == (DEMO_KEY, True)


@pytest.mark.parametrize(("content", "message"), [(b"short", "too short"), (DEMO_KEY, "public demo key")])
def test_weak_keys_are_refused_naming_where_they_came_from(
    tmp_path: Path, content: bytes, message: str
) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(content)
    with pytest.raises(UsageError, match=message) as from_file:
        load_key(key_file, demo_key=False, environ={})
    assert str(from_file.value).startswith(f"key file {key_file} holds ")
    with pytest.raises(UsageError, match=message) as from_environment:
        load_key(None, demo_key=False, environ={ENV_VAR: content.decode()})
    assert str(from_environment.value).startswith(f"{ENV_VAR} holds ")


def test_a_key_of_exactly_the_minimum_length_is_accepted_and_one_byte_less_is_not(tmp_path: Path) -> None:
    """The message promises "at least" MIN_KEY_BYTES: that many must do, from a file or the environment."""
    secret = bytes(range(65, 65 + MIN_KEY_BYTES))  # built here: no key-shaped literal in the repository
    key_file = tmp_path / "key"
    key_file.write_bytes(secret)
    assert load_key(key_file, demo_key=False, environ={}).secret == secret
    assert load_key(None, demo_key=False, environ={ENV_VAR: secret.decode()}).secret == secret
    key_file.write_bytes(secret[:-1])
    with pytest.raises(UsageError, match=f"holds {MIN_KEY_BYTES - 1} bytes, too short"):
        load_key(key_file, demo_key=False, environ={})
    with pytest.raises(UsageError, match="too short"):
        load_key(None, demo_key=False, environ={ENV_VAR: secret[:-1].decode()})


def test_unreadable_key_file_and_conflicting_flags(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read key file"):
        load_key(tmp_path / "absent", demo_key=False, environ={})
    with pytest.raises(UsageError, match="exclude each other"):
        load_key(tmp_path / "absent", demo_key=True, environ={})


def test_pseudonyms_are_stable_per_key_and_differ_across_keys() -> None:
    one, two = make_key("one"), make_key("two")
    assert one.pseudonym("session", "2025-10-07-001") == make_key("one").pseudonym(
        "session", "2025-10-07-001"
    )
    assert one.pseudonym("session", "2025-10-07-001") != two.pseudonym("session", "2025-10-07-001")
    assert one.pseudonym("session", "x") != one.pseudonym("decision", "x")


def test_pseudonym_algorithm_is_pinned() -> None:
    # Released ids must never change between tool versions. Computed outside Python:
    # printf "decision\\x0068fc...01" | openssl dgst -sha256 -hmac "<demo key>", first 32 hex digits.
    demo = ExportKey(DEMO_KEY, demo=True)
    assert (
        demo.pseudonym("decision", "68fc27a50000000000000001") == "3cfadaa87058f56224500869a973a839"
    )  # openssl dgst -sha256 -hmac


@settings(max_examples=300, deadline=None)
@given(
    secret=st.binary(min_size=16, max_size=100),  # shorter and longer than SHA-256's 64-byte block
    namespace=st.sampled_from(["decision", "session"]),
    values=st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=40), min_size=1, max_size=3),
)
def test_pseudonyms_are_the_hmac_of_namespace_and_value_for_any_key(
    secret: bytes, namespace: str, values: list[str]
) -> None:
    key = ExportKey(secret, demo=False)
    for value in values:  # several from one key: each continues the namespace's state afresh
        whole = hmac.new(secret, f"{namespace}\x00{value}".encode(), hashlib.sha256).hexdigest()[:32]
        assert key.pseudonym(namespace, value) == whole


def test_the_fingerprint_and_repr_never_show_the_key() -> None:
    key = make_key()
    assert key.fingerprint.startswith("sha256:") and key.secret.decode() not in key.fingerprint
    assert key.secret.decode() not in repr(key) and key.fingerprint in repr(key)
    assert key.fingerprint != make_key("other").fingerprint
