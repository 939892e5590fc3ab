"""Tractatus Framework Evolution Log: how the framework changed, event by event, and why.

Only what is specific to this dataset lives here: its vocabularies, row models, the event reader,
derived configs, card text and the shipped history (`events/`). Everything shared is in
`tractatus_datasets`.
"""

__all__: list[str] = []
