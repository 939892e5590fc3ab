"""What the release commands do once their arguments are parsed: `scan`, `validate`, `publish`,
and the summary an export prints. Each returns the text to print or raises UsageError/ProblemsFound.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tractatus_datasets.card import load_lines
from tractatus_datasets.errors import Problem, ProblemsFound, UsageError
from tractatus_datasets.gate import scan_release
from tractatus_datasets.identifiers import Identifiers
from tractatus_datasets.manifest import MANIFEST_NAME, Manifest
from tractatus_datasets.plugins import DatasetPlugin
from tractatus_datasets.publish import plan_publication, publish_to_git, publish_to_hub
from tractatus_datasets.release import quarantine_path
from tractatus_datasets.spec import DatasetSpec
from tractatus_datasets.validate import read_release_manifest, validate_release

__all__ = ["export_summary", "publish_command", "release_spec", "scan_command", "validate_command"]


def export_summary(manifest: Manifest, out: Path, plugin: DatasetPlugin) -> str:
    counts = manifest.counts
    lines = [
        f"{plugin.spec.pretty_name} {manifest.version} written to {out}",
        f"  read {counts.read}, exported {counts.exported}, quarantined {counts.quarantined}, "
        f"duplicates {counts.duplicates}",
    ]
    if counts.quarantined:
        lines.append(f"  quarantined records (with personal data; do not publish): {quarantine_path(out)}")
    lines += [
        "  rows: " + ", ".join(f"{name} {rows}" for name, rows in counts.rows_by_config.items()),
        "  load it:",
        "    from datasets import load_dataset",
    ]
    lines += [f"    {line}" for line in load_lines(plugin.spec, manifest.version, target=str(out))]
    return "\n".join(lines)


def scan_command(root: Path, identifiers_file: Path | None, plugins: dict[str, DatasetPlugin]) -> str:
    if not root.is_dir():
        raise UsageError(
            f"{root} is not a folder: give the release folder (or a downloaded revision) to scan"
        )
    identifiers = Identifiers()
    if identifiers_file is not None:
        for line in identifiers_file.read_text(encoding="utf-8").splitlines():
            identifiers.add(line)
    # A release of ours names its dataset, whose spec says which columns hold pseudonyms.
    manifest, _ = read_release_manifest(root)
    spec = _spec_of(manifest.dataset, plugins) if manifest else None
    result = scan_release(root, identifiers, spec.pseudonym_columns if spec else frozenset())
    summary = result.summary()
    if result.findings:
        raise ProblemsFound(
            [finding.problem() for finding in result.findings],
            f"{len(result.findings)} finding(s), {summary['findings']} cell(s) or place(s), in {root}; "
            "do not publish it",
        )
    searched = f" and {summary['identifiers']:,} identifiers" if summary["identifiers"] else ""
    return (
        f"scanned {summary['files']} file(s), {summary['cells']:,} cells, "
        f"with {summary['detectors']} detectors{searched}: no finding"
    )


def _spec_of(dataset: str, plugins: dict[str, DatasetPlugin]) -> DatasetSpec | None:
    return next((p.spec for p in plugins.values() if p.spec.repo_id == dataset), None)


def release_spec(root: Path, plugins: dict[str, DatasetPlugin]) -> tuple[Manifest, DatasetSpec]:
    """The manifest of the release at `root` and the spec of its dataset, or ProblemsFound."""
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder: give the release folder (or a downloaded revision)")
    summary = f"{root} is not a valid release"
    manifest, problems = read_release_manifest(root)
    if manifest is None:
        raise ProblemsFound(problems, summary)
    spec = _spec_of(manifest.dataset, plugins)
    if spec is None:
        known = ", ".join(p.spec.repo_id for p in plugins.values())
        raise ProblemsFound(
            [Problem(MANIFEST_NAME, None, "dataset", f"{manifest.dataset} is not one of {known}")], summary
        )
    return manifest, spec


def validate_command(root: Path, plugins: dict[str, DatasetPlugin]) -> str:
    manifest, spec = release_spec(root, plugins)
    problems = validate_release(root, spec)
    if problems:
        raise ProblemsFound(problems, f"{len(problems)} problem(s): {root} is not a valid release")
    return (
        f"{root}: a valid release of {manifest.dataset} {manifest.version}; its {len(manifest.shards)} shard(s) "
        "match the manifest and the card, the leak gate found nothing, and every config loads"
    )


def publish_command(args: argparse.Namespace, plugins: dict[str, DatasetPlugin]) -> str:
    manifest, spec = release_spec(args.path, plugins)
    plan = plan_publication(args.path, spec, manifest, args.repo, args.tag)
    target = f"git repository under {args.to_git}" if args.to_git else "the Hugging Face Hub"
    if args.dry_run:
        return "\n".join(
            [f"dry run: would publish {args.path} to {target}:", *(f"  {op}" for op in plan.operations())]
        )
    if args.to_git:
        repo = publish_to_git(plan, args.to_git)
        return f"published {manifest.dataset} {manifest.version} to {repo}, tag {plan.tag}"
    url = publish_to_hub(plan)
    lines = [f"published {manifest.dataset} {manifest.version} as {url}, tag {plan.tag}", "  load it:"]
    lines += [f"    {line}" for line in load_lines(spec, manifest.version)]
    return "\n".join(lines)
