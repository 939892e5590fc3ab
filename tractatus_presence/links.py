"""What the presence's pages say about each other: repository ids and links in the organisation being
published, the datasets' pinned tags and licenses, and how to cite them.

>>> links = Links("tractatus-framework", {}, {})
>>> links.space_url("boundary-simulator")
'https://huggingface.co/spaces/tractatus-framework/boundary-simulator'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tractatus_datasets.citation import bibtex, revision_tag
from tractatus_datasets.hub import repo_url
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.spec import DatasetSpec

__all__ = ["FRAMEWORK_LICENSE", "LICENSES", "Links", "Published", "license_link"]

FRAMEWORK_LICENSE = "apache-2.0"  # the license of the framework's code, and of this project's Spaces
LICENSES = {
    "apache-2.0": ("Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
    "cc-by-sa-4.0": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "cc-by-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "cc0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
}


def license_link(identifier: str) -> str:
    name, url = LICENSES.get(identifier, (identifier, ""))
    return f"[{name}]({url})" if url else name


@dataclass(frozen=True)
class Published:
    """A dataset release as it is published: its spec (with the repository in the target organisation)
    and its manifest."""

    spec: DatasetSpec
    manifest: Manifest

    @property
    def tag(self) -> str:
        return revision_tag(self.manifest.version)


@dataclass(frozen=True)
class Links:
    org: str
    datasets: dict[str, Published]  # by the dataset's name in the organisation: audit-decisions…
    spaces: dict[str, dict[str, Any]]  # by the Space's name: its README header
    synthetic: bool = False  # the audit release was built from the synthetic sample, with the demo key

    def dataset_id(self, name: str) -> str:
        return f"{self.org}/{name}"

    def dataset_url(self, name: str) -> str:
        return repo_url(self.dataset_id(name), "dataset")

    def space_url(self, name: str) -> str:
        return repo_url(f"{self.org}/{name}", "space")

    def model_url(self, name: str) -> str:
        return repo_url(f"{self.org}/{name}", "model")

    def licenses(self) -> str:
        lines = [f"* The Tractatus framework's code and the Spaces: {license_link(FRAMEWORK_LICENSE)}."]
        lines += [
            f"* [{published.spec.pretty_name}]({self.dataset_url(name)}): {license_link(published.spec.license)}."
            for name, published in self.datasets.items()
        ]
        return "\n".join(lines)

    def citation(self) -> str:
        """Pin a revision, then cite that revision: one `load_dataset` line and a BibTeX entry per dataset."""
        loads = [
            f'{name.replace("-", "_")} = load_dataset("{published.spec.repo_id}", revision="{published.tag}")'
            for name, published in self.datasets.items()
        ]
        entries = [bibtex(published.spec, published.manifest) for published in self.datasets.values()]
        return "\n\n".join(
            [
                "Load the revision your work used, so that every reader gets the same rows:",
                "```python\nfrom datasets import load_dataset\n\n" + "\n".join(loads) + "\n```",
                "and cite that revision:",
                "```bibtex\n" + "\n\n".join(entries) + "\n```",
            ]
        )

    def synthetic_banner(self) -> str:
        return (
            "> **Synthetic data.** The figures on this page come from releases built from the project's "
            "synthetic sample with the public demo key: a rehearsal of the presence, describing no real event."
        )
