"""The default profile (config/config.yaml with config/synth/default.yaml) is in the paper's memory
regime (issue 14), and its element-count settings are the paper's values x E/1620, computed here from
the paper's facts (xmem.memory.regime.PAPER) and the profile's frame sizes."""

from __future__ import annotations

from pathlib import Path

import yaml

from xmem.data import load_synth_config
from xmem.data.synth import long_video
from xmem.data.synth.regime_facts import profile_regime
from xmem.memory.regime import PAPER, elements_per_frame, regime_rows, scaled_elements

CONFIG = Path(__file__).resolve().parents[2] / "config"
PAPER_S1_RUN = (500, 2500, 10000, 20000)  # the Table S1 values the default profile runs
PAPER_S7_RUN = (500, 2500, 10000)  # the Fig. S7 LT_max values it runs
PAPER_MULTISCALE_P = 512  # App. H: "we use P = 512 for a relaxed compression" (multi-scale evaluation)


def _default() -> tuple[dict, object]:
    return (yaml.safe_load((CONFIG / "config.yaml").read_text())["inference"],
            load_synth_config(CONFIG / "synth" / "default.yaml"))


def _scaled_memory(e_long: int, e_short: int) -> dict:
    return {
        "long_video": {"num_prototypes": scaled_elements(PAPER.memory.num_prototypes, e_long),
                       "max_long_term_elements": scaled_elements(PAPER.memory.max_long_term_elements, e_long)},
        "short_video": {"num_prototypes": scaled_elements(PAPER.memory.num_prototypes, e_short),
                        "max_long_term_elements": scaled_elements(PAPER.memory.max_long_term_elements, e_short)},
    }


def test_default_element_counts_are_the_papers_times_e_over_1620():
    """At the main models' key stride 8 (memory, the grids) and at the ablation networks' 16 (memory_at_stride)."""
    inference, synth = _default()
    e_long = elements_per_frame(*long_video.frame_size(synth), stride=8)
    e_short = elements_per_frame(synth.height, synth.width, stride=8)
    assert (e_long, e_short) == (180, 448)
    scaled = lambda values, e: [scaled_elements(v, e) for v in values]  # noqa: E731
    assert inference["memory"] == _scaled_memory(e_long, e_short)
    assert inference["memory"]["long_video"] == {"num_prototypes": 14, "max_long_term_elements": 1111}
    assert inference["memory"]["short_video"] == {"num_prototypes": 35, "max_long_term_elements": 2765}
    assert inference["prototype_counts"] == scaled(PAPER.memory.prototype_counts, e_long) == [7, 14, 28]
    assert inference["ltmax_values"] == scaled(PAPER_S1_RUN, e_long) == [56, 278, 1111, 2222]
    assert inference["fps_ltmax_values"] == scaled(PAPER_S7_RUN, e_long) == [56, 278, 1111]
    assert inference["multiscale"]["num_prototypes"] == scaled_elements(PAPER_MULTISCALE_P, e_short) == 142
    e16_long = elements_per_frame(*long_video.frame_size(synth))
    e16_short = elements_per_frame(synth.height, synth.width)
    assert (e16_long, e16_short) == (45, 112)
    at16 = inference["memory_at_stride"][16]
    assert {k: at16[k] for k in ("long_video", "short_video")} == _scaled_memory(e16_long, e16_short)
    assert at16["multiscale_prototypes"] == scaled_elements(PAPER_MULTISCALE_P, e16_short) == 35


def test_default_profile_is_in_the_papers_regime():
    inference, synth = _default()
    rows = {r.quantity: r for r in regime_rows(profile_regime(inference, synth, 0, key_stride=8))}
    assert rows["consolidations per 1x video"].profile_low >= 15
    assert rows["long-term elements at 1x / LT_max (before eviction)"].profile_high < 1  # no eviction at 1x
    assert rows["long-term elements at 3x / LT_max (before eviction)"].profile_low > 1  # eviction at 3x
    assert rows["Fig. 1 window: shortest video / frame 200"].profile_low >= 1
    assert rows["longest absence / working-memory span (T_max*r)"].profile_low > 1
    for value in inference["ltmax_values"]:  # Table S1: evicts at 3x iff the paper's value does
        row = rows[f"Table S1 LT_max = {value}: 3x elements / LT_max"]
        assert (row.profile_low > 1) == (row.paper_value > 1)
    for name in ("frames per long video (1x)", "long video / short video length", "consolidations per 1x video",
                 "compression ratio (T_max-T_min)*E/P", "LT_max / P (consolidations before eviction)",
                 "long-term elements at 3x / LT_max (before eviction)", "first eviction at 3x (fraction of the video)"):
        assert 0.5 <= rows[name].ratio_low <= rows[name].ratio_high <= 2, name


def test_smoke_profile_is_not_in_the_regime():
    """The smoke profile checks plumbing: its short long videos never consolidate at 1x."""
    inference = yaml.safe_load((CONFIG / "smoke.yaml").read_text())["inference"]
    synth = load_synth_config(CONFIG / "synth" / "smoke.yaml")
    rows = {r.quantity: r for r in regime_rows(profile_regime(inference, synth, 0))}  # tiny networks: stride 16
    assert rows["consolidations per 1x video"].profile_low == 0


def test_the_regime_uses_the_counts_of_the_networks_stride():
    from xmem.data.synth.regime_facts import memory_settings

    inference, _ = _default()
    at8, at16 = memory_settings(inference, 8), memory_settings(inference, 16)
    assert (at8.num_prototypes, at8.max_long_term_elements) == (14, 1111)
    assert (at16.num_prototypes, at16.max_long_term_elements) == (4, 278)
    assert (at8.prototype_counts, at16.prototype_counts) == ((7, 14, 28), (2, 4, 7))
    assert (at8.ltmax_values, at16.ltmax_values) == ((56, 278, 1111, 2222), (14, 69, 278, 556))
