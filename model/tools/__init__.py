"""Tooling around the model: runs and their outputs, calibration, reports, sweeps, sensitivity, the UI."""
