"""Capability models as data: schema, YAML loader and validation, levels, operating modes, positioning."""
