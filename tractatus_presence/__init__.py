"""The Tractatus presence on the Hub beyond the datasets: the Spaces deployed, the framework card,
the organisation card, and one command that publishes them all against the same tagged releases."""

__all__: list[str] = []
