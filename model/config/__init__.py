"""Scenario configuration: the schema, loading and inheritance, ``--set`` overrides and error wording."""
