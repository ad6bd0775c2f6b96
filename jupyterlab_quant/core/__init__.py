"""Pure domain: symbols, boards, errors, settings. Imports nothing of Jupyter, DuckDB or I/O libraries."""
