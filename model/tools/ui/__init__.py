"""The Mesa browser UI: watch Bitcoin miners pivot to AI, one day per step.

``hashpivot ui [SCENARIO]`` (``serve``) or ``solara run hashpivot.model.tools.ui.page:Page`` opens a
Mesa ``SolaraViz`` page. The sidebar holds Reset / Play / Step, the scenario, the seed and the main
levers; the main area shows the date and the settings in force, the daily series the model records
(BTC price and hashprice, hashrate and difficulty, strategy mix, MW by state, revenue mix,
concentration, the valuation gap per MW), a map of the regions, the network of AI leases and the
largest miners.

Everything drawn is read from the model: the daily series from ``model.recorder`` and the rest
from its sites, fleet, leases and ``agent_rows``. The page keeps no books of its own.

Modules, one concern each:

* ``params`` -- the controls, and how the page's flat settings become a validated ``Scenario``;
* ``views`` -- the rows and tables the page shows, computed from the model;
* ``charts`` -- the Altair chart templates and the Vega-Lite specs filled with those rows;
* ``page`` -- ``UiModel`` (what Mesa's Reset rebuilds) and the Solara components, ``Page``;
* ``server`` -- ``serve``: ``solara run`` on the page in a subprocess.
"""

from hashpivot.model.tools.ui.page import Page, UiModel
from hashpivot.model.tools.ui.server import serve

__all__ = ["Page", "UiModel", "serve"]
