"""What the Tractatus Spaces share: opening a release (a local folder or a Hub revision), DuckDB
over its Parquet shards, the command line and Space variables that choose it, and a page that
shows a visitor's text literally and calls no other host.

Each Space folder (`spaces/audit-log-viewer/`, `spaces/metrics-dashboard/`…) imports this package.
In a clone it sits beside them, and `pip install -e .` installs it; `tractatus-datasets
publish-space` uploads it with the folder, so that a Space runs the folder as is.
"""
