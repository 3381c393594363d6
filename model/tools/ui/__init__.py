"""The Mesa browser UI: watch Bitcoin miners pivot to AI, one day per step.

``hashpivot ui [SCENARIO]`` (``serve``) or ``solara run hashpivot.model.tools.ui.page:Page`` opens a
Mesa ``SolaraViz`` page. The sidebar holds Mesa's Reset / Play / Step, the scenario, seed and main
parameters (what the next Reset runs) and Export; the main area shows the date and the settings in
force, the event feed, a world map of the regions, the network of AI leases, the largest miners and
the card of the one clicked, and the daily series the model records. Play stops at the scenario's
horizon.

What runs is what ``hashpivot run`` runs: the scenario file with the page's changes as ``--set``
overrides, ``HashpivotModel(scenario, seed)`` stepped a day at a time. Everything drawn is read from
the model; the page keeps no books of its own.

Modules, one concern each:

* ``params`` -- the controls, the page's settings, and how they become ``--set`` overrides;
* ``uimodel`` -- ``UiModel``, the model Mesa's Reset builds from those settings;
* ``views`` -- the rows and text the page shows, computed from the model;
* ``geo`` -- the map's projection and label placement;
* ``charts`` -- the Altair chart templates, their data sets and captions;
* ``vega`` -- the chart widget: embedded once, then only its data change;
* ``panels`` -- the main area's views (status, charts, miners, miner card, events);
* ``controls`` -- the sidebar's cards (scenario and parameters, Export);
* ``export`` -- the run folder Export writes;
* ``page`` -- ``Page``: SolaraViz with all of the above;
* ``server`` -- ``serve``: ``solara run`` on the page in a subprocess.
"""

from hashpivot.model.tools.ui.page import Page
from hashpivot.model.tools.ui.server import serve
from hashpivot.model.tools.ui.uimodel import UiModel

__all__ = ["Page", "UiModel", "serve"]
