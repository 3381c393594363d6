"""The world, its markets and the tooling around them (installed as ``hashpivot.model``).

* ``world/``   -- state and physics: the chain, prices, regions, sites, fleets, accounts, contracts, metrics;
* ``markets/`` -- each market a pure mechanism plus the service that runs it (leasing, site auctions);
* ``simulation.py`` -- ``HashpivotModel``, which composes the services and runs the day;
* ``config/``  -- the scenario schema, loading, ``--set`` and error wording;
* ``tools/``   -- runs, outputs, calibration, reports, sweeps, sensitivity and the browser UI;
* ``cli/``     -- the ``hashpivot`` command line.

The public API is re-exported by the top-level package: ``from hashpivot import HashpivotModel``.
"""
