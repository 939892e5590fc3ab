"""The committed sample source is exactly what the generator writes."""

from __future__ import annotations

from pathlib import Path

from tractatus_audit_corpus.sample import write_sample

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "audit"


def test_committed_sample_matches_the_generator(tmp_path: Path) -> None:
    write_sample(tmp_path / "audit", records=60, seed=7, credentials=False)
    committed = {p.relative_to(SAMPLES): p.read_bytes() for p in SAMPLES.rglob("*") if p.is_file()}
    generated = {
        p.relative_to(tmp_path / "audit"): p.read_bytes()
        for p in (tmp_path / "audit").rglob("*")
        if p.is_file()
    }
    assert committed.keys() == generated.keys()
    stale = [str(path) for path in committed if committed[path] != generated[path]]
    assert not stale, (
        f"regenerate with: tractatus-datasets sample --out samples/audit --records 60 --seed 7 --no-credentials ({stale})"
    )


def test_the_committed_sample_holds_no_credential_shaped_text() -> None:
    text = "".join(p.read_text() for p in SAMPLES.rglob("*") if p.is_file())
    assert "API_KEY=" not in text and "mongodb://" not in text
    assert "/home/" in text and "@example." in text  # personal data is still there for the anonymiser
