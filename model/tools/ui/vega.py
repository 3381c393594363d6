"""A Vega-Lite chart widget that is embedded once and then only swaps its data.

Solara's ``VegaLite`` widget re-embeds the whole chart whenever its spec changes, and each embed
leaves the previous Vega view and its resize observer alive: in a page that redraws nine charts
a day the browser slows down day after day (Play went from ~7 to ~2 days per second by day
3,000). ``VegaChart`` compiles the spec once per chart and sends each day's rows as JSON, which
the browser applies to the live view (``view.data``), one redraw at a time; a new spec finalizes
the old view first. Clicks on marks come back as the clicked row (``on_click``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import ipyvuetify as v
import solara
import traitlets

TEMPLATE = r"""
<template>
  <div class="hp-vega" ref="plot"></div>
</template>
<script>
module.exports = {
  mounted() { this.embed(); },
  destroyed() { this.teardown(); },
  unmounted() { this.teardown(); },
  watch: {
    spec_json() { this.embed(); },
    data_json() { this.update(); },
  },
  methods: {
    teardown() {
      if (this.observer) { this.observer.disconnect(); this.observer = null; }
      if (this.view) { this.view.finalize(); this.view = null; }
    },
    cdn() {
      if (window.solara && window.solara.cdn) return window.solara.cdn;
      let base = document.body.dataset.baseUrl || document.baseURI;
      if (!base.endsWith('/')) base += '/';
      return base + '_solara/cdn';
    },
    loadVega() {
      const cdn = this.cdn();
      const ready = window.requirejs ? Promise.resolve() : new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = `${cdn}/requirejs@2.3.6/require.js`;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
      return ready.then(() => new Promise((resolve, reject) => {
        window.require.config({map: {'*': {
          'vega': `${cdn}/vega@5/build/vega.min.js`,
          'vega-lite': `${cdn}/vega-lite@5/build/vega-lite.min.js`,
          'vega-embed': `${cdn}/vega-embed@6/build/vega-embed.min.js`,
        }}});
        window.require(['vega', 'vega-embed'], (vega, vegaEmbed) => resolve({vega, vegaEmbed}), reject);
      }));
    },
    embed() {
      if (!this.spec_json) return;
      const token = (this.token || 0) + 1;
      this.token = token;
      this.embedding = true;  // until the new view is up, rows wait for it (the old view may lack a data set)
      this.loadVega().then(async ({vega, vegaEmbed}) => {
        if (token !== this.token) return;
        this.teardown();
        this.shown = this.data_json;
        const spec = JSON.parse(this.spec_json);
        // The spec's own data sets (small inline tables Altair put there) stay; the day's rows join them.
        spec.datasets = {...(spec.datasets || {}), ...JSON.parse(this.data_json || '{}')};
        // Relative data URLs (the base map) are files of Solara's local asset cache.
        const loader = vega.loader({baseURL: this.cdn() + '/'});
        const result = await vegaEmbed(this.$refs.plot, spec, {renderer: 'canvas', actions: false, loader});
        if (token !== this.token) { result.finalize(); return; }
        this.view = result.view;
        this.embedding = false;
        this.view.addEventListener('click', (event, item) => {
          this.vega_click(item && item.datum ? JSON.parse(JSON.stringify(item.datum)) : null);
        });
        if (spec.width === 'container') {
          this.observer = new ResizeObserver(() => { if (this.view) this.view.resize().runAsync(); });
          this.observer.observe(this.$refs.plot);
        }
        this.update();  // rows that came while embedding
      });
    },
    update() {
      // One redraw at a time: rows that arrive meanwhile wait, and only the newest are drawn, so a
      // browser slower than the server skips days instead of falling further and further behind.
      if (!this.view || this.embedding || this.drawing || this.shown === this.data_json) return;
      this.drawing = true;
      this.shown = this.data_json;
      for (const [name, rows] of Object.entries(JSON.parse(this.shown))) this.view.data(name, rows);
      this.view.runAsync().finally(() => { this.drawing = false; this.update(); });
    },
  },
};
</script>
<style id="hp-vega-style">
.hp-vega.vega-embed { width: 100%; }
.hp-vega .vega-embed { width: 100%; }
</style>
"""


class VegaWidget(v.VuetifyTemplate):
    """The browser side of ``VegaChart``: a compiled Vega-Lite spec and its data sets by name.

    Both travel as JSON text: a nested trait would be walked value by value by ipywidgets here and
    made reactive value by value by Vue in the browser, every day, for hundreds of rows.

    Attributes:
        spec: The spec last shown (Python side only).
        datasets: The data sets last shown (Python side only).
    """

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    spec_json = traitlets.Unicode("").tag(sync=True)
    data_json = traitlets.Unicode("").tag(sync=True)
    on_click = traitlets.Callable(None, allow_none=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spec: dict = {}
        self.datasets: dict[str, list] = {}

    def show(self, spec: dict, datasets: dict[str, list]) -> None:
        """Draw ``datasets`` with ``spec`` (the browser embeds again only when the spec is a new one)."""
        with self.hold_sync():  # one message: the browser never embeds a new spec with the old rows
            self.data_json = json.dumps(datasets, separators=(",", ":"), allow_nan=False)
            self.datasets = datasets
            if spec is not self.spec:
                self.spec_json = json.dumps(spec, separators=(",", ":"), allow_nan=False)
                self.spec = spec

    def vue_vega_click(self, datum: Any) -> None:
        """A mark was clicked: hand its row (None for the background) to ``on_click``."""
        if self.on_click is not None:
            self.on_click(datum)


@solara.component
def VegaChart(  # noqa: N802 - a component
    spec: dict, datasets: dict[str, list], on_click: Callable[[Any], None] | None = None
):
    """A chart drawn from ``spec`` (set once per spec) with ``datasets`` swapped in on every render.

    Neither is passed as a prop: reacton walks every prop value looking for nested elements, and
    for hundreds of rows that costs more than building them. They are set on the widget in effects.
    """
    element = VegaWidget.element()

    def push():
        solara.get_widget(element).show(spec, datasets)

    def set_click():
        solara.get_widget(element).on_click = on_click

    solara.use_effect(push, [id(spec), id(datasets)])
    solara.use_effect(set_click, [on_click])
    return element
