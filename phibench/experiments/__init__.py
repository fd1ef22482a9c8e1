"""Experiments: named sweeps (``experiment/`` in a plugin's config folder) and the tables they write."""
