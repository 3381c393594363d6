"""Sourced data files shipped with the package."""
