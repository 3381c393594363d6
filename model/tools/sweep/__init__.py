"""Parameter sweeps: many runs of one scenario with varied settings, on a laptop or a Dask cluster.

A sweep goes through four small modules, in order::

    plan = spec.load_sweep(Path("runs/sweeps/example.toml"))  # the file, checked against the schema
    design = design.build_design(plan.spec)                   # design points in the unit cube
    summary = execute.run_sweep(plan, design, out_dir)        # runs on an executor, streamed to
                                                              # Parquet parts by ``store``

``worker.run_task`` is what executes on a worker; it imports only what a run needs. This package
file imports nothing so that a worker process pays for no more than that.
"""
