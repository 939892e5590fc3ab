"""The organisation's front page. On the Hub, an organisation's card is the README of its static Space
named `README`; this one names the Spaces and datasets with figures read from the releases."""

from __future__ import annotations

from huggingface_hub import SpaceCard, SpaceCardData

from tractatus_datasets.card import markdown_table
from tractatus_presence.figures import AuditFigures, EvolutionFigures
from tractatus_presence.framework_card import CODE, FRAMEWORK_REPO
from tractatus_presence.links import Links, license_link

__all__ = ["ORG_SPACE", "organisation_card"]

ORG_SPACE = "README"

WHAT = """\
Tractatus is a governance framework for AI agents built into the architecture around the model
rather than written into its prompt. A set of services decides before an action runs: whether it
crosses a boundary that belongs to people, whether it contradicts an instruction the user gave,
whether the reasoning behind it holds up, and whether the session is under too much pressure to
trust. Every decision is logged."""

WHY = """\
Instructions in a prompt compete with everything else the model has seen, and lose when the
context is long or the task is hard: the framework's founding "27027 incident" was a model replacing
a port number the user had stated with the one its training made familiar. A check that runs outside
the model, the same way every time, can be audited; its records are what this organisation publishes."""


def _audit_line(audit: AuditFigures) -> str:
    return (
        f"{audit.decisions:,} anonymised governance decisions from {audit.sessions:,} sessions, "
        f"{audit.first_day} to {audit.last_day}"
    )


def _events_line(events: EvolutionFigures) -> str:
    return (
        f"{events.events:,} events in the framework's history, {events.first_day} to {events.last_day}, "
        f"{events.incidents:,} of them incidents"
    )


def organisation_card(audit: AuditFigures, events: EvolutionFigures, links: Links) -> SpaceCard:
    data = SpaceCardData(
        title="Tractatus Framework", sdk="static", pinned=False, emoji="🏛️", colorFrom="indigo", colorTo="gray"
    )
    spaces = [
        (
            f"[{header['title']}]({links.space_url(name)})",
            header.get("short_description", ""),
            ", ".join(
                f"`{dataset.split('/')[1]}` {links.datasets[dataset.split('/')[1]].tag}"
                for dataset in header.get("datasets", [])
            ),
        )
        for name, header in links.spaces.items()
    ]
    described = {"audit-decisions": _audit_line(audit), "evolution-log": _events_line(events)}
    datasets = [
        (
            f"[{published.spec.pretty_name}]({links.dataset_url(name)})",
            described[name],
            published.tag,
            license_link(published.spec.license),
        )
        for name, published in links.datasets.items()
    ]
    banner = [links.synthetic_banner()] if links.synthetic else []
    body = "\n\n".join(
        [
            "# Tractatus Framework",
            f"Architectural AI governance, in the open: {_audit_line(audit)}, and "
            f"{_events_line(events)}, published as citable datasets with three Spaces to explore them.",
            *banner,
            f"## What Tractatus is\n\n{WHAT}\n\nThe code: [{CODE.removeprefix('https://')}]({CODE}). "
            f"The framework's card, with its evaluation and known issues: [{links.org}/{FRAMEWORK_REPO}]"
            f"({links.model_url(FRAMEWORK_REPO)}).",
            f"## Why architectural governance\n\n{WHY}",
            "## Spaces\n\n" + markdown_table(["Space", "what it does", "shows"], spaces),
            "## Datasets\n\n" + markdown_table(["dataset", "what it holds", "revision", "license"], datasets),
            f"## Licenses\n\n{links.licenses()}",
            f"## How to cite\n\n{links.citation()}",
        ]
    )
    return SpaceCard(f"---\n{data.to_yaml()}\n---\n\n{body}\n")
