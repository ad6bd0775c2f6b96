"""Background jobs (Dask distributed) with records in SQLite: queued → running → done/failed/cancelled."""
