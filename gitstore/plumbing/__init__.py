"""Plumbing: git through one door, repository sources and snapshots, the strict YAML reader,
the file layout, result caches and locks. Returns data; knows nothing of output formats."""
