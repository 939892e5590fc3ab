"""Render a release's dataset card (`README.md`): YAML front matter the Hub reads, then prose.

The YAML is written through `datasets`' own helpers (`MetadataConfigs`, `DatasetInfosDict`), the
same code `push_to_hub` uses, so `load_dataset` reads the `configs` and `dataset_info` back exactly.
The field tables are generated from the row models, so they cannot drift from the data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from datasets import DatasetInfo, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData

from tractatus_datasets.citation import CHANGELOG_NAME, CITATION_NAME, bibtex, revision_tag
from tractatus_datasets.features import field_rows
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.spec import DatasetSpec

__all__ = [
    "CARD_NAME",
    "EMPTY_SPLIT_ISSUE",
    "CardContent",
    "gate_sentence",
    "load_lines",
    "markdown_table",
    "render_card",
    "size_category",
]

CARD_NAME = "README.md"
# datasets <= 5.2 cannot load a split with no rows except by streaming; this open upstream PR would allow it.
EMPTY_SPLIT_ISSUE = "https://github.com/huggingface/datasets/pull/8401"

_SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
]


@dataclass(frozen=True)
class CardContent:
    """What only the dataset package knows: its summary and its own sections, in order."""

    summary: str
    sections: Sequence[tuple[str, str]]  # (heading, Markdown body)
    synthetic_note: str | None = None  # shown at the top when the data is not real


def gate_sentence(manifest: Manifest) -> str:
    """What the leak gate checked before the release was published (it exists only if this passed)."""
    gate = manifest.gate
    return (
        f"Before publication the leak gate re-scanned the release: {gate.get('cells', 0):,} data cells in "
        f"{gate.get('files', 0)} Parquet file(s) and then every file, with {gate.get('detectors', 0)} detectors "
        f"(paths, e-mails, IPs, hosts, URLs with credentials, database URIs, cloud and SaaS keys, JWTs, private "
        f"keys, high-entropy strings, also inside JSON, URL and base64 encodings), for the "
        f"{gate.get('identifiers', 0):,} raw identifiers of the source and for their unkeyed hashes: no finding. "
        "`tractatus-datasets scan PATH` repeats the check on any copy, such as a downloaded revision."
    )


def size_category(rows: int) -> str:
    for limit, label in _SIZE_CATEGORIES:
        if rows < limit:
            return label
    return "n>100M"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-style table; pipes inside cells are escaped."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def load_lines(spec: DatasetSpec, version: str, target: str | None = None) -> list[str]:
    """The `load_dataset` calls a researcher types, one per config, pinned to the release tag."""
    where = json.dumps(target if target is not None else spec.repo_id)
    pin = "" if target is not None else f', revision="{revision_tag(version)}"'
    lines = []
    for config in spec.configs:
        name = "" if config.default else f', "{config.name}"'
        lines.append(f"{config.name} = load_dataset({where}{name}{pin})")
    return lines


def _yaml(spec: DatasetSpec, manifest: Manifest, table_bytes: dict[str, int]) -> str:
    rows = manifest.counts.rows_by_config
    default = spec.default_config
    data = DatasetCardData(
        pretty_name=spec.pretty_name,
        license=spec.license,
        tags=list(spec.tags),
        size_categories=[size_category(rows.get(default.name, 0))],
    )
    MetadataConfigs(
        {
            c.name: {
                "data_files": [{"split": "train", "path": c.data_files_glob()}],
                **({"default": True} if c.default else {}),
            }
            for c in spec.configs
        }
    ).to_dataset_card_data(data)
    infos = {}
    for config in spec.configs:
        splits = SplitDict()
        splits.add(
            SplitInfo(name="train", num_bytes=table_bytes[config.name], num_examples=rows.get(config.name, 0))
        )
        download = sum(s.bytes for s in manifest.shards if s.config == config.name)
        infos[config.name] = DatasetInfo(
            features=config.features,
            splits=splits,
            download_size=download,
            dataset_size=table_bytes[config.name],
        )
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return str(data.to_yaml())


def _release_table(spec: DatasetSpec, manifest: Manifest) -> str:
    counts = manifest.counts
    rows: list[tuple[str, object]] = [
        ("version", f"{manifest.version} (revision tag `{revision_tag(manifest.version)}`)"),
        ("release date", manifest.release_date.isoformat()),
        ("source", f"{manifest.source.kind}, digest `{manifest.source.digest}`"),
        ("records read", counts.read),
        ("exported", counts.exported),
        ("quarantined (not published)", counts.quarantined),
        ("duplicates skipped", counts.duplicates),
        *((f"rows in `{c.name}`", counts.rows_by_config.get(c.name, 0)) for c in spec.configs),
    ]
    if manifest.previous is not None:
        before = manifest.previous.version
        rows += [
            (
                "continues",
                f"{before} of {manifest.previous.release_date.isoformat()} "
                f"(its `MANIFEST.json`: `{manifest.previous.manifest_digest}`)",
            ),
            (f"rows kept from {before}", counts.carried),
            ("…of which no longer in the source", counts.no_longer_in_source),
            ("new rows", counts.added),
        ]
    if manifest.key is not None:
        demo = " (public demo key)" if manifest.key.demo else ""
        rows.append(("pseudonym key fingerprint", f"`{manifest.key.fingerprint}`{demo}"))
    rows.append(("schema", f"version {manifest.schema_version}, hash `{manifest.schema_hash}`"))
    return markdown_table(["", ""], rows)


def _continuation(manifest: Manifest) -> list[str]:
    """What a release made with `--previous` added to the one before, in a sentence."""
    if manifest.previous is None:
        return []
    counts, before = manifest.counts, manifest.previous.version
    return [
        f"This release continues {before}: it adds {counts.added:,} rows and keeps all "
        f"{counts.carried:,} rows of {before} exactly as they were published, {counts.no_longer_in_source:,} "
        f"of them for records the source no longer holds. `{CHANGELOG_NAME}` lists what every version added."
    ]


def render_card(
    spec: DatasetSpec, manifest: Manifest, content: CardContent, table_bytes: dict[str, int]
) -> str:
    """The whole card: YAML front matter, then summary, loading, configs, fields and package sections."""
    parts = [
        f"---\n{_yaml(spec, manifest, table_bytes)}\n---",
        f"# {spec.pretty_name}",
        content.summary.strip(),
    ]
    if content.synthetic_note:
        parts.append(f"> **Synthetic data.** {content.synthetic_note.strip()}")
    code = "\n".join(["from datasets import load_dataset", "", *load_lines(spec, manifest.version)])
    parts += [
        "## Load it",
        f"Pin the revision so that your results stay reproducible:\n\n```python\n{code}\n```",
        "Labels are stored as integers; `features[column].int2str(value)` gives the name. For speed, "
        "iterate in Arrow batches, e.g. `ds['train'].with_format('arrow').iter(batch_size=10_000)`, "
        "rather than row by row.",
        "## Configs",
        markdown_table(
            ["config", "rows", "one row is"],
            [
                (
                    f"`{c.name}`" + (" (default)" if c.default else ""),
                    manifest.counts.rows_by_config.get(c.name, 0),
                    c.description,
                )
                for c in spec.configs
            ],
        ),
    ]
    empty = [c.name for c in spec.configs if not manifest.counts.rows_by_config.get(c.name, 0)]
    if empty:
        names = ", ".join(f"`{name}`" for name in empty)
        parts.append(
            f"> **Empty in this release:** {names}. `datasets` up to 5.2 cannot load an empty split except with "
            f"`streaming=True` ([huggingface/datasets#8401]({EMPTY_SPLIT_ISSUE}))."
        )
    parts.append("## Fields")
    for config in spec.configs:
        table = markdown_table(
            ["column", "type", "meaning"], [(f"`{n}`", t, d) for n, t, d in field_rows(config.model)]
        )
        parts.append(f"### `{config.name}`\n\n{table}")
    for heading, body in content.sections:
        parts.append(f"## {heading}\n\n{body.strip()}")
    parts += ["## This release", *_continuation(manifest), _release_table(spec, manifest)]
    tag = revision_tag(manifest.version)
    parts.append(
        f"## Citation\n\nCite this version and load it pinned to its revision tag `{tag}`, so that your "
        f"results can be reproduced with the same bytes. `{CITATION_NAME}` holds the same in Citation File "
        f"Format, and `{CHANGELOG_NAME}` what each version added.\n\n```bibtex\n{bibtex(spec, manifest)}\n```"
    )
    parts.append(
        "## License\n\nThe data is released under [CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/)."
    )
    return "\n\n".join(parts) + "\n"
