"""The SolaraViz page: Mesa's controls and layout, the page's own sidebar cards, and its views.

The page keeps two things per browser session, in module-level reactive values (which Solara keeps
per session): the settings the next Reset runs (``session_settings``, edited by
``controls.SettingsPanel``) and the model being shown (``session_model``). Mesa's SolaraViz holds the
model in that same reactive value, so the model its Reset builds (``type(model)()``, a ``UiModel``
class bound to the session's settings) is seen by the sidebar and by Export. Mesa's own parameter and
information cards stay empty or say nothing to a user ("Time: 289.0"), and its one page of views
gets a "Page 0" tab: the page's style sheet hides them.
"""

from __future__ import annotations

import os

import solara

from hashpivot.model.tools.ui.controls import ExportPanel, SettingsPanel
from hashpivot.model.tools.ui.panels import COMPONENTS
from hashpivot.model.tools.ui.params import SCENARIO_ENV, PageSettings, start_scenario
from hashpivot.model.tools.ui.uimodel import UiModel

TITLE = "HashPivot: Bitcoin miners pivoting to AI"
PLAY_INTERVAL_MS = 101
"""Pause between days while playing: Mesa's 100 ms, put on its slider's steps (1, 11, 21, ...) so the
slider does not round it. Every render must stay well under it (see ``panels``): the thread that
handled the ▶ click renders every day asked for while it is rendering, and gives up after 100 in a
row -- at 51 ms a loaded machine got there."""

CSS = """
/* Mesa's SolaraViz: its parameter card is empty (the page's own card holds the parameters), its
   information card shows model.time, and its only page of views has a "Page 0" tab. */
:is(.v-navigation-drawer, .v-dialog) .v-sheet > .v-card:not(:first-child):not(.hp-keep) { display: none !important; }
.solara-content-main .v-tabs { display: none !important; }
/* Mesa's own sliders (play interval, render interval) show their value only while dragged: always show it. */
.v-card:not(.hp-keep) .v-slider__thumb-label-container { display: block !important; }
.v-card:not(.hp-keep) .v-input--hide-details.v-input--is-label-active { margin-top: 26px; }
.hp-status { margin-bottom: 2px; }
.hp-date { font-size: 1.6em; font-weight: 600; }
.hp-hint, .hp-caption { font-size: 11px; color: #666; line-height: 1.3; }
.hp-caption { padding: 0 4px; }
.hp-settings-line { font-size: 12px; }
.hp-pending { font-size: 12px; color: #b7791f; font-weight: 600; }
.hp-input-error { font-size: 11px; color: #c53030; line-height: 1.25; }
.hp-control { margin-top: 6px; }
.hp-control-label { font-size: 13px; }
.hp-control .v-input__slot .v-label { position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.hp-control .v-input--selection-controls, .hp-control .v-slider { margin-top: 0; }
.hp-field input { text-align: right; }
.hp-control .hp-field-box { max-width: 96px; }
.hp-empty { display: flex; flex-direction: column; justify-content: center; align-items: center;
  color: #777; font-size: 13px; border: 1px dashed #ddd; border-radius: 4px; }
.hp-empty-title { font-weight: 600; color: #333; margin-bottom: 6px; }
.hp-panel-title { font-weight: 600; margin: 2px 0 6px 0; }
.hp-miners td, .hp-miners th { font-size: 11px !important; height: 22px !important; padding: 0 6px !important; }
.hp-miners .hp-row { cursor: pointer; }
.hp-miners .hp-selected { background: #e6f0fa; }
.hp-card, .hp-feed { font-size: 12px; overflow: auto; height: 100%; padding: 2px 6px; }
.hp-card table { border-collapse: collapse; margin-bottom: 6px; }
.hp-card th { text-align: left; font-weight: 500; color: #555; padding-right: 12px; }
.hp-card td, .hp-card th { padding: 1px 8px 1px 0; vertical-align: top; }
.hp-npv tr.hp-chosen td { font-weight: 600; }
.hp-decision { margin: 6px 0 4px 0; }
.hp-inputs { color: #555; font-size: 11px; }
.hp-miner-events { margin: 6px 0 0 0; padding-left: 16px; color: #444; }
.hp-event-counts { color: #555; margin-bottom: 4px; }
.hp-events { border-collapse: collapse; width: 100%; }
.hp-events td { padding: 2px 6px 2px 0; vertical-align: top; border-bottom: 1px solid #f0f0f0; }
.hp-event-date { white-space: nowrap; color: #666; }
.hp-kind { font-weight: 600; }
.hp-event-lease .hp-kind { color: #2b6cb0; }
.hp-event-strategy .hp-kind { color: #b7791f; }
.hp-event-ban .hp-kind { color: #c53030; }
.hp-event-site .hp-kind { color: #2f855a; }
:is(.hp-event-default, .hp-event-liquidation) .hp-kind { color: #c53030; }
.hp-event-restructuring .hp-kind { color: #c05621; }
:is(.hp-event-acquisition, .hp-event-acquired) .hp-kind { color: #553c9a; }
"""


@solara.component
def SidebarCards(pending: solara.Reactive[PageSettings], model: solara.Reactive[UiModel]):  # noqa: N802
    """The page's sidebar cards, under Mesa's controls (see ``_Deeper``)."""
    _Deeper(pending, model, 2)


@solara.component
def _Deeper(pending, model, levels: int):  # noqa: N802 - a component
    """Solara orders sidebar content by how deep in the page it was declared, shallowest first.

    Mesa declares its controls (Reset, Play, Step) two components down; the page's cards go deeper, so
    they come after them.
    """
    if levels > 0:
        _Deeper(pending, model, levels - 1)
        return
    with solara.Sidebar():
        SettingsPanel(pending, model)
        ExportPanel(model)


session_settings: solara.Reactive[PageSettings | None] = solara.reactive(None)
"""What the next Reset runs, per browser session (Solara keeps a module's reactive values per session)."""
session_model: solara.Reactive[UiModel | None] = solara.reactive(None)
"""The model the page shows, per browser session; Mesa's SolaraViz holds it here and Reset replaces it."""


def start_session() -> None:
    """The session's settings and first model, unless it has them (a page drawn twice shares them)."""
    if session_settings.peek() is None:
        session_settings.set(PageSettings(scenario=start_scenario(os.environ.get(SCENARIO_ENV) or None)))
    if session_model.peek() is None:
        # Mesa's Reset builds ``type(model)()``: this class reads the session's settings then.
        session_model.set(UiModel.bound_to(_current_settings)())


def _current_settings() -> PageSettings:
    return session_settings.peek() or PageSettings()


def end_session() -> None:
    """Forget the session's settings and model (the next page starts afresh)."""
    session_settings.set(None)
    session_model.set(None)


@solara.component
def Page():  # noqa: N802 - Solara looks for a component named Page
    """The HashPivot page: one model per browser session, rebuilt by Reset from the sidebar's settings."""
    from mesa.visualization import SolaraViz

    start_session()
    with solara.Column(style={"padding": "0"}) as main:
        solara.Style(CSS)
        SidebarCards(session_settings, session_model)
        SolaraViz(
            session_model,
            components=[(c, 0) for c in COMPONENTS],
            name=TITLE,
            play_interval=PLAY_INTERVAL_MS,
        )
    return main
