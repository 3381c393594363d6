"""Estimation of scenario parameters from observations: spec, emulators, history matching, the run, the report."""
