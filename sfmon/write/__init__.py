"""Putting rendered files on disk: the atomic writer and the --check memo."""
