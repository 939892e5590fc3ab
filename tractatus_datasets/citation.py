"""How a release is cited and what changed: `CITATION.cff`, a BibTeX entry, and `CHANGELOG.md`.

All three are generated from the manifest, so they always name the version and the revision tag
(`vX.Y.Z`) that a paper pins, and they carry no wall-clock time.

>>> revision_tag("1.2.0")
'v1.2.0'
"""

from __future__ import annotations

import yaml

from tractatus_datasets.manifest import Manifest
from tractatus_datasets.spec import DatasetSpec

__all__ = [
    "CHANGELOG_NAME",
    "CITATION_NAME",
    "bibtex",
    "render_changelog",
    "render_citation",
    "revision_tag",
]

CITATION_NAME = "CITATION.cff"
CHANGELOG_NAME = "CHANGELOG.md"
AUTHOR = "Tractatus Framework contributors"
_LICENSE_IDS = {"cc-by-sa-4.0": "CC-BY-SA-4.0", "cc-by-4.0": "CC-BY-4.0", "cc0-1.0": "CC0-1.0"}


def revision_tag(version: str) -> str:
    return f"v{version}"


def _url(spec: DatasetSpec) -> str:
    return f"https://huggingface.co/datasets/{spec.repo_id}"


def render_citation(spec: DatasetSpec, manifest: Manifest, abstract: str) -> str:
    """`CITATION.cff` (Citation File Format 1.2.0) for this version of the dataset."""
    tag = revision_tag(manifest.version)
    data = {
        "cff-version": "1.2.0",
        "message": (
            f"If you use this dataset, please cite it as below, and load it pinned to revision {tag}: "
            f'load_dataset("{spec.repo_id}", revision="{tag}").'
        ),
        "type": "dataset",
        "title": spec.pretty_name,
        "version": manifest.version,
        "date-released": manifest.release_date.isoformat(),
        "authors": [{"name": AUTHOR}],
        "license": _LICENSE_IDS.get(spec.license, spec.license),
        "url": _url(spec),
        "repository": f"{_url(spec)}/tree/{tag}",
        "abstract": " ".join(abstract.split()),
        "keywords": list(spec.tags),
    }
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000))


def bibtex(spec: DatasetSpec, manifest: Manifest) -> str:
    """A BibTeX `@misc` entry naming the version and the revision to pin."""
    key = spec.repo_id.split("/")[-1].replace("-", "_") + "_" + manifest.version.replace(".", "_")
    tag = revision_tag(manifest.version)
    return "\n".join(
        [
            f"@misc{{{key},",
            f"  title        = {{{{{spec.pretty_name}}}}},",
            f"  author       = {{{{{AUTHOR}}}}},",
            f"  year         = {{{manifest.release_date.year}}},",
            f"  version      = {{{manifest.version}}},",
            f"  howpublished = {{Hugging Face dataset {spec.repo_id}, revision {tag}}},",
            f"  url          = {{{_url(spec)}/tree/{tag}}},",
            "}",
        ]
    )


def _entry(manifest: Manifest) -> str:
    counts, previous = manifest.counts, manifest.previous
    lines = [f"## [{manifest.version}] - {manifest.release_date.isoformat()}", "", "### Added", ""]
    if previous is None:
        rows = ", ".join(f"{n:,} rows in `{name}`" for name, n in counts.rows_by_config.items())
        lines.append(f"- First release: {rows}.")
    else:
        before = previous.rows_by_config
        changes = ", ".join(
            f"`{name}` {before.get(name, 0):,} → {n:,}" for name, n in counts.rows_by_config.items()
        )
        lines += [
            f"- {counts.added:,} new rows since {previous.version} ({changes}).",
            f"- Every row of {previous.version} is kept as it was published ({counts.carried:,} rows), "
            f"{counts.no_longer_in_source:,} of them no longer in the source.",
        ]
    lines.append(
        f"- From {manifest.source.kind} (digest `{manifest.source.digest}`): {counts.read:,} records read, "
        f"{counts.exported:,} exported, {counts.quarantined:,} quarantined, {counts.duplicates:,} duplicates."
    )
    return "\n".join(lines)


def render_changelog(spec: DatasetSpec, manifest: Manifest, earlier: str = "") -> str:
    """`CHANGELOG.md` in Keep-a-Changelog style, newest first: this release's entry, then `earlier`,
    the entries of the release it continues exactly as they were published."""
    header = (
        f"# Changelog\n\nAll notable changes to {spec.pretty_name} (`{spec.repo_id}`). The format follows "
        "[Keep a Changelog](https://keepachangelog.com/en/1.1.0/); each version is the revision tag "
        '`vX.Y.Z` of the dataset repository, which `load_dataset(..., revision="vX.Y.Z")` pins.'
    )
    return "\n\n".join(part for part in [header, _entry(manifest), earlier.strip("\n")] if part) + "\n"
