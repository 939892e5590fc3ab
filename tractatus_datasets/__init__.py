"""Shared core of tractatus-datasets: features, pipeline parts, writer, card, manifest and CLI.

The core imports neither dataset package; they register through the
`tractatus_datasets.datasets` entry point group.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
