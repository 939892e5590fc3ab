"""Tractatus Audit Decision Corpus: anonymised governance decisions from the framework's audit logs.

Only what is specific to this dataset lives here: its vocabularies, row models, normalisers,
derived configs, card text and sample generator. Everything shared is in `tractatus_datasets`.
"""

__all__: list[str] = []
