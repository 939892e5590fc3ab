"""What the Tractatus Spaces share: opening a release (a local folder or a Hub revision), DuckDB
over its Parquet shards, the command line and Space variables that choose it, and a page that
shows a visitor's text literally and calls no other host. Beside those, each Space's own queries
and figures (`decisions` for the viewer, `dashboard` and `history` for the dashboard,
`decision_flow` for the simulator), kept out of its `app.py` so that the app is only its page and
tests and the command line import them by one name.

Each Space folder (`spaces/audit-log-viewer/`, `spaces/metrics-dashboard/`…) imports this package.
In a clone it sits beside them, and `pip install -e .` installs it; `tractatus-datasets
publish-space` uploads with the folder the modules of it that the folder imports, and no other,
so that a Space runs the folder as is.
"""
