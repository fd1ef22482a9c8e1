"""Experiments: named sweeps (``configs/experiment/``) and the tables they write."""
