"""config/synth/regime.yaml (the Long-time Video of the paper's memory regime, issue 14) with the
element-count settings scaled by E/1620 meets the regime's requirements. The settings are computed
here from the paper's values (xmem.memory.regime.PAPER), as the default profile will use them once
the plan runs them."""

from __future__ import annotations

from pathlib import Path

import yaml

from xmem.data import load_synth_config
from xmem.data.synth import long_video
from xmem.data.synth.regime_facts import profile_regime
from xmem.memory.regime import PAPER, elements_per_frame, regime_rows, scaled_elements

CONFIG = Path(__file__).resolve().parents[2] / "config"
PAPER_S1_RUN = (500, 1000, 2500, 10000, 20000)  # the Table S1 values the regime profile runs


def _regime_inference() -> tuple[dict, list[int]]:
    synth = load_synth_config(CONFIG / "synth" / "regime.yaml")
    e = elements_per_frame(*long_video.frame_size(synth))
    inference = dict(yaml.safe_load((CONFIG / "config.yaml").read_text())["inference"])
    ltmax = [scaled_elements(v, e) for v in PAPER_S1_RUN]
    inference.update(
        memory={"long_video": {"num_prototypes": scaled_elements(PAPER.memory.num_prototypes, e),
                               "max_long_term_elements": scaled_elements(PAPER.memory.max_long_term_elements, e)}},
        prototype_counts=[scaled_elements(p, e) for p in PAPER.memory.prototype_counts],
        ltmax_values=ltmax,
    )
    return inference, ltmax


def test_regime_profile_is_in_the_papers_regime():
    inference, ltmax = _regime_inference()
    rows = {r.quantity: r for r in regime_rows(profile_regime(inference, load_synth_config(CONFIG / "synth" / "regime.yaml"), 0))}
    assert inference["memory"]["long_video"] == {"num_prototypes": 4, "max_long_term_elements": 278}  # E = 45
    assert rows["consolidations per 1x video"].profile_low >= 15
    assert rows["long-term elements at 1x / LT_max (before eviction)"].profile_high < 1  # no eviction at 1x
    assert rows["long-term elements at 3x / LT_max (before eviction)"].profile_low > 1  # eviction at 3x
    assert rows["Fig. 1 window: shortest video / frame 200"].profile_low >= 1
    assert rows["longest absence / working-memory span (T_max*r)"].profile_low > 1
    for value in ltmax:  # Table S1: evicts at 3x iff the paper's value does
        row = rows[f"Table S1 LT_max = {value}: 3x elements / LT_max"]
        assert (row.profile_low > 1) == (row.paper_value > 1)
    for name in ("frames per long video (1x)", "long video / short video length", "consolidations per 1x video",
                 "compression ratio (T_max-T_min)*E/P", "LT_max / P (consolidations before eviction)",
                 "long-term elements at 3x / LT_max (before eviction)", "first eviction at 3x (fraction of the video)"):
        assert 0.5 <= rows[name].ratio_low <= rows[name].ratio_high <= 2, name


def test_default_profile_is_not_yet_in_the_regime():
    """The default's Long-time Video (60 + 100 frames) never consolidates at 1x: the reason the
    regime overlay exists (this test flips when the default adopts it)."""
    inference = yaml.safe_load((CONFIG / "config.yaml").read_text())["inference"]
    rows = {r.quantity: r for r in regime_rows(profile_regime(inference, load_synth_config(CONFIG / "synth" / "default.yaml"), 0))}
    assert rows["consolidations per 1x video"].profile_low == 0
