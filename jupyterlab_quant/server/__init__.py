"""Jupyter server adapter: the only package importing jupyter_server / tornado."""
