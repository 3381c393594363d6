"""The sidebar's own cards: the scenario and its parameters, and Export.

Every control shows its value at all times, in a number field beside its slider; the slider is
drawn only when it can hold the value exactly (``Knob.on_slider``: a Vuetify slider rounds any
other value to its step, which would quietly change what runs). Picking a scenario reloads every
control from its file; a control marked ``*`` is one the user moved away from the file's value.
What the controls say is what the next Reset runs (``PageSettings``, read by ``UiModel``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara

from hashpivot.model.tools.output import OutputError
from hashpivot.model.tools.ui.export import default_folder, export_run
from hashpivot.model.tools.ui.params import (
    KNOBS,
    MINERS,
    MINERS_MAX,
    TEXAS,
    InputError,
    PageSettings,
    label,
    load_base,
    named_miner_count,
    parse_control,
    parse_seed,
    same_value,
    scenario_choices,
    ui_values,
)
from hashpivot.model.tools.ui.uimodel import UiModel
from hashpivot.model.tools.ui.views import control_text

SEED_LABEL = "Seed (whole number, as --seed)"


@solara.component
def ValueField(  # noqa: N802 - a component
    field_label: str,
    shown: str,
    on_value: Callable[[Any], None],
    parse: Callable[[str], Any],
    on_error: Callable[[str | None], None],
):
    """A control's number field: shows ``shown``; typed text is parsed, and refused with a one-line message.

    A refused value leaves the setting as it was; ``on_error`` gets the message (None once the text
    is corrected), which the control shows under itself, across the sidebar.
    """
    typed, set_typed = solara.use_state(None)

    def on_text(text: str | None):
        try:
            parsed = parse(text or "")
        except InputError as exc:
            set_typed(text)
            on_error(str(exc))
            return
        set_typed(None)
        on_error(None)
        on_value(parsed)

    return solara.InputText(
        field_label,
        value=typed if typed is not None else shown,
        on_value=on_text,
        dense=True,
        hide_details=True,
        classes=["hp-field"],
    )


@solara.component
def NumberControl(  # noqa: N802 - a component
    name: str, value: float, star: bool, on_value: Callable[[Any], None], named_miners: int
):
    """One numeric control: its label (``*`` when moved), a slider when it holds the value, and the number field."""
    error, set_error = solara.use_state(None)
    if name in KNOBS:
        knob = KNOBS[name]
        lo, hi, step, slider = knob.lo, knob.hi, knob.step, solara.SliderFloat
        on_slider = knob.on_slider(value)
    else:
        lo, hi, step, slider = named_miners, MINERS_MAX, 1, solara.SliderInt
        on_slider = lo <= value <= hi

    def parse(text: str) -> Any:
        return parse_control(name, text, named_miners)

    with solara.Column(gap="0px", classes=["hp-control", f"hp-control-{name}"]) as col:
        with solara.Row(gap="8px", style={"align-items": "center", "justify-content": "space-between"}):
            solara.Text(f"{label(name)}{' *' if star else ''}", classes=["hp-control-label"])
            with solara.Column(classes=["hp-field-box"]):
                ValueField(label(name), control_text(name, value), on_value, parse, set_error)
        if error:
            solara.Text(error, classes=["hp-input-error"])
        if on_slider:
            slider(label(name), value=value, min=lo, max=hi, step=step, on_value=on_value, thumb_label=False)
        else:
            solara.Text(f"(off the slider's {step:g} steps from {lo:g} to {hi:g}: use the field)", classes=["hp-hint"])
    return col


def _base_values(scenario: str | None) -> tuple[dict[str, Any], int, str | None]:
    """The scenario file's control values, its named-miner count, and a loading error (one line) if any."""
    try:
        base = load_base(scenario)
    except ValueError as exc:
        return {}, 0, " ".join(str(exc).split())
    return ui_values(base), named_miner_count(base), None


@solara.component
def SettingsPanel(pending: solara.Reactive[PageSettings], model: solara.Reactive[UiModel]):  # noqa: N802
    """Scenario, seed and parameters: what the next Reset runs."""
    settings = pending.value
    own, named, load_error = solara.use_memo(lambda: _base_values(settings.scenario), [settings.scenario])
    # Remount the fields on a new scenario or a return to its values, so none keeps text typed before.
    generation, set_generation = solara.use_state(0)
    seed_error, set_seed_error = solara.use_state(None)

    def choose_scenario(name: str):
        pending.set(PageSettings(scenario=name, seed=settings.seed))
        set_generation(generation + 1)
        set_seed_error(None)

    def set_value(name: str, value: Any):
        values = {k: v for k, v in settings.values.items() if k != name}
        if name not in own or not same_value(value, own[name]):
            values[name] = value
        pending.set(PageSettings(settings.scenario, settings.seed, values))

    def set_seed(seed: int):
        pending.set(PageSettings(settings.scenario, str(seed), settings.values))

    def back_to_file():
        pending.set(PageSettings(scenario=settings.scenario, seed=settings.seed))
        set_generation(generation + 1)
        set_seed_error(None)

    with solara.Card("Scenario and parameters", classes=["hp-settings", "hp-keep"]) as card:
        solara.Select(
            "Scenario", values=scenario_choices(settings.scenario), value=settings.scenario, on_value=choose_scenario
        )
        if load_error:
            solara.Error(load_error, dense=True, classes=["hp-error"])
        ValueField(SEED_LABEL, settings.seed, set_seed, parse_seed, set_seed_error).key(f"seed-{generation}")
        if seed_error:
            solara.Text(seed_error, classes=["hp-input-error"])
        if own:
            current = {**own, **settings.values}
            for name in (*KNOBS, MINERS):
                star = not same_value(current[name], own[name])
                NumberControl(name, current[name], star, lambda v, n=name: set_value(n, v), named).key(
                    f"{name}-{generation}"
                )
            texas_star = " *" if not same_value(current[TEXAS], own[TEXAS]) else ""
            solara.Checkbox(
                label=f"{label(TEXAS)}{texas_star}", value=current[TEXAS], on_value=lambda v: set_value(TEXAS, v)
            )
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            solara.Button("Scenario's values", on_click=back_to_file, text=True, disabled=not settings.values)
            if settings != model.value.ui_settings:
                solara.Text("Changes run at Reset.", classes=["hp-pending"])
    return card


@solara.component
def ExportPanel(model: solara.Reactive[UiModel]):  # noqa: N802 - a component
    """Export the run as a run folder (``export.export_run``) and say where it went and how to run it again."""
    folder, set_folder = solara.use_state("")
    note, set_note = solara.use_state(None)

    def export():
        try:
            path, command = export_run(model.value, folder)
        except (InputError, OutputError) as exc:
            set_note(("error", str(exc)))
            return
        except OSError as exc:
            set_note(("error", f"Export: cannot write {folder or 'the folder'}: {exc.strerror or exc}"))
            return
        set_note(("ok", f"Wrote {path}. Same again: {' '.join(command)}"))

    with solara.Card("Export this run", classes=["hp-export", "hp-keep"]) as card:
        solara.InputText(
            "Folder (empty: runs/out/ui/<scenario>-seed<S>-day<N>)",
            value=folder,
            on_value=set_folder,
            dense=True,
            hide_details=True,
        )
        # The target is shown before the click, so what the button will do is on the page (and a test can
        # wait for the typed folder to reach the kernel instead of racing it).
        target = folder or str(default_folder(model.value))
        solara.Text(
            f"Writes the tables and manifest of `hashpivot run` to {target}.", classes=["hp-hint", "hp-export-target"]
        )
        solara.Button("Export run", on_click=export, color="primary", outlined=True, classes=["hp-export-button"])
        if note is not None:
            kind, text = note
            (solara.Error if kind == "error" else solara.Success)(text, dense=True, classes=[f"hp-export-{kind}"])
    return card
