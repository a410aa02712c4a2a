"""The default profile (config/config.yaml + config/synth/default.yaml) is in the paper's memory regime."""

from __future__ import annotations

from pathlib import Path

import yaml

from xmem.data import load_synth_config
from xmem.data.synth.regime_facts import profile_regime
from xmem.memory.regime import PAPER, regime_rows


def test_default_profile_is_in_the_papers_regime():
    """The default profile's regime, from its configuration: the ratios issue 14 asks for."""
    root = Path(__file__).resolve().parents[2] / "config"
    workflow = yaml.safe_load((root / "config.yaml").read_text())
    inputs = profile_regime(workflow["inference"], load_synth_config(root / "synth" / "default.yaml"), 0)
    rows = {r.quantity: r for r in regime_rows(inputs)}
    assert rows["consolidations per 1x video"].profile_low >= 15
    assert rows["long-term elements at 1x / LT_max (before eviction)"].profile_high < 1  # no eviction at 1x
    assert rows["long-term elements at 3x / LT_max (before eviction)"].profile_low > 1  # eviction at 3x
    assert rows["Fig. 1 window: shortest video / frame 200"].profile_low >= 1
    assert rows["longest absence / working-memory span (T_max*r)"].profile_low > 1
    for value in workflow["inference"]["ltmax_values"]:  # Table S1: evicts at 3x iff the paper's value does
        row = rows[f"Table S1 LT_max = {value}: 3x elements / LT_max"]
        assert (row.profile_low > 1) == (row.paper_value > 1)
    for name in ("frames per long video (1x)", "long video / short video length", "consolidations per 1x video",
                 "compression ratio (T_max-T_min)*E/P", "LT_max / P (consolidations before eviction)",
                 "long-term elements at 3x / LT_max (before eviction)", "first eviction at 3x (fraction of the video)"):
        assert 0.5 <= rows[name].ratio_low <= rows[name].ratio_high <= 2, name
    e = 45  # element counts are the paper's x E/1620
    memory = workflow["inference"]["memory"]["long_video"]
    assert memory == {"num_prototypes": round(128 * e / 1620), "max_long_term_elements": round(10000 * e / 1620)}
    assert workflow["inference"]["prototype_counts"] == [round(p * e / 1620) for p in PAPER.memory.prototype_counts]
