"""Source adapters: the only modules that know a source's columns and units.

Each adapter turns its input into frames of the canonical schema (volume in shares, unadjusted prices,
``preclose`` where known) for :mod:`jupyterlab_quant.data.ingest` to validate and write.
"""
