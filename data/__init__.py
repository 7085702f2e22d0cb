"""Shipped data files: the default capability model and survey instrument (YAML)."""
