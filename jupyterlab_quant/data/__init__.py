"""Market data: datasets (schema), the Parquet store, the DuckDB query service, importers."""
