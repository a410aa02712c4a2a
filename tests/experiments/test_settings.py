"""Named settings -> the typed InferenceConfig of a run, equal to what ``xmem infer`` options built."""

from __future__ import annotations

import argparse

import pytest

from xmem.errors import XMemError
from xmem.experiments.element_counts import element_counts, key_stride
from xmem.experiments.paths import Run
from xmem.experiments.settings import (
    SETTINGS,
    Setting,
    inference_config,
    profile_memory,
    length_dependent,
    ltmax_setting,
    offsets,
    prototype_setting,
    setting_of,
)
from xmem.inference import cli
from xmem.methods import get_method

CONFIG = {"inference": {"size": -1, "mem_every_short": 5, "mem_every_long": 10, "offsets": 5,
                        "multiscale": {"num_prototypes": 512}}}

#: the ``xmem infer`` options each setting stood for before settings were typed
ARGV = {
    "default": [],
    "no_long_term": ["--strategy", "no_long_term"],
    "sensory_only": ["--strategy", "sensory_only"],
    "eager_compression": ["--strategy", "eager_compression"],
    "sparse_insertion": ["--strategy", "sparse_insertion", "--max-memory-frames", "50"],
    "local_window": ["--strategy", "local_window", "--max-memory-frames", "50"],
    "no_potentiation": ["--no-potentiation"],
    "deep_every_frame": ["--deep-update-every", "1"],
    "deep_never": ["--deep-update-every", "0"],
    "unbounded": ["--strategy", "no_long_term"],
    "kmeans_p64": ["--prototype-selection", "kmeans", "--num-prototypes", "64"],
    "usage_p256": ["--prototype-selection", "usage", "--num-prototypes", "256"],
    "ltmax500": ["--max-long-term-elements", "500"],
    "ltmax30000": ["--max-long-term-elements", "30000"],
}


def cli_config(model: str, argv: list[str]):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return cli.build_config(parser.parse_args(["--weights", "w", "--data", "d", "--out", "o", "--model", model, *argv]))


def test_offsets_are_evenly_spaced_in_r():
    assert offsets(CONFIG, 5) == [0, 1, 2, 3, 4]
    assert offsets(CONFIG, 10) == [0, 2, 4, 6, 8]
    assert offsets({"inference": {"offsets": 3}}, 10) == [0, 3, 6]


@pytest.mark.parametrize("setting", sorted(ARGV))
@pytest.mark.parametrize(("model", "dataset", "offset"), [("xmem", "D17", 3), ("xmem", "LV3", 6), ("stcn", "LV1", 2)])
def test_setting_gives_the_config_its_cli_options_gave(setting, model, dataset, offset):
    method = get_method(model)
    r = 10 if dataset.startswith("LV") else 5
    argv = ["--mem-every", str(r), "--mem-offset", str(offset), "--size", "-1", *ARGV[setting]]
    run = Run(model, dataset, setting, offset)
    if model == "stcn" and setting == "eager_compression":  # needs XMem's long-term memory
        with pytest.raises(XMemError, match="not supported by STCN"):
            cli_config(model, argv)
        with pytest.raises(XMemError, match="not supported by STCN"):
            method.check(inference_config(run, CONFIG, method.memory).memory)
        return
    assert inference_config(run, CONFIG, method.memory) == cli_config(model, argv)


def test_multiscale_member_config():
    config = inference_config(Run("xmem", "D17", "ms_s480_r3_flip"), CONFIG, get_method("xmem").memory)
    assert config == cli_config("xmem", ["--mem-every", "3", "--size", "480", "--num-prototypes", "512", "--flip"])


def test_every_setting_is_known_and_only_sparse_insertion_depends_on_the_length():
    for name in ARGV:
        setting_of(name)  # a named setting (SETTINGS) or a grid setting (kmeans_p64, ltmax500)
    assert [s for s in SETTINGS if length_dependent(s)] == ["sparse_insertion"]
    with pytest.raises(XMemError, match="unknown setting"):
        inference_config(Run("xmem", "D17", "nonsense"), CONFIG, get_method("xmem").memory)


SCALED = {"inference": {**CONFIG["inference"], "multiscale": {"num_prototypes": 35},
                        "memory": {"long_video": {"num_prototypes": 4, "max_long_term_elements": 278},
                                   "short_video": {"num_prototypes": 9, "max_long_term_elements": 691}}}}


@pytest.mark.parametrize(("dataset", "p", "ltmax"), [("LV1", 4, 278), ("LV3", 4, 278), ("LV10", 4, 278),
                                                     ("D17", 9, 691), ("D16", 9, 691), ("Y18", 9, 691)])
def test_runs_start_from_the_profiles_memory_of_their_dataset_kind(dataset, p, ltmax):
    method = get_method("xmem")
    memory = inference_config(Run("xmem", dataset), SCALED, method.memory).memory
    assert (memory.num_prototypes, memory.max_long_term_elements) == (p, ltmax)
    assert (memory.top_k, memory.strategy) == (method.memory.top_k, method.memory.strategy)  # the rest: the method's
    assert inference_config(Run("xmem", dataset), CONFIG, method.memory).memory == method.memory  # absent: paper's


def test_grid_settings_change_the_profiles_memory_by_their_value():
    xmem = get_method("xmem").memory
    memory = inference_config(Run("xmem", "LV3", "kmeans_p2", 3), SCALED, xmem).memory
    assert (memory.prototype_selection, memory.num_prototypes, memory.max_long_term_elements) == ("kmeans", 2, 278)
    memory = inference_config(Run("xmem", "LV3", "ltmax14"), SCALED, xmem).memory
    assert (memory.prototype_selection, memory.num_prototypes, memory.max_long_term_elements) == ("usage", 4, 14)
    assert setting_of("usage_p7") == Setting.of(prototype_selection="usage", num_prototypes=7)
    assert not length_dependent("ltmax14") and not length_dependent("random_p2")
    for bad in ("ltmax0", "usage_p", "median_p4", "ltmax14x"):
        with pytest.raises(XMemError, match="unknown setting"):
            setting_of(bad)
    member = inference_config(Run("xmem", "D17", "ms_s-1_r3"), SCALED, xmem).memory
    assert (member.num_prototypes, member.max_long_term_elements) == (35, 691)  # multiscale P, short LT_max


def test_the_default_run_is_recognised_by_value():
    assert prototype_setting("usage", 4, SCALED) == "default"
    assert prototype_setting("usage", 128, SCALED) == "usage_p128"
    assert prototype_setting("random", 4, SCALED) == "random_p4"
    assert prototype_setting("usage", 128, CONFIG) == "default"  # no inference.memory: the paper's P
    assert ltmax_setting(278, SCALED) == "default" and ltmax_setting(10000, SCALED) == "ltmax10000"


def test_a_model_runs_with_the_element_counts_of_its_key_stride():
    """memory_at_stride replaces all of the profile's counts for networks of that key stride (P,
    LT_max, the multi-scale P and the grids scale with the elements per frame)."""
    at8 = {"long_video": {"num_prototypes": 14, "max_long_term_elements": 1111},
           "short_video": {"num_prototypes": 35, "max_long_term_elements": 2765}, "multiscale_prototypes": 142,
           "prototype_counts": [7, 14, 28], "ltmax_values": [56, 1111], "fps_ltmax_values": [56]}
    config = {"inference": {**SCALED["inference"], "prototype_counts": [2, 4, 7], "ltmax_values": [14, 278],
                            "memory_at_stride": {8: at8}}}
    xmem = get_method("xmem").memory
    at = lambda stride, dataset: profile_memory(dataset, config, xmem, stride)  # noqa: E731
    assert (at(8, "LV3").num_prototypes, at(8, "LV3").max_long_term_elements) == (14, 1111)
    assert (at(8, "D17").num_prototypes, at(8, "D17").max_long_term_elements) == (35, 2765)
    assert (at(16, "LV3").num_prototypes, at(16, "D17").num_prototypes) == (4, 9)  # no entry: the profile's
    assert at(None, "LV3").num_prototypes == 4
    counts8, counts16 = element_counts(config["inference"], 8), element_counts(config["inference"], 16)
    assert (counts8.multiscale_prototypes, counts16.multiscale_prototypes) == (142, 35)
    assert (counts8.prototype_counts, counts16.prototype_counts) == ((7, 14, 28), (2, 4, 7))
    assert (counts8.ltmax_values, counts16.ltmax_values, counts16.fps_ltmax_values) == ((56, 1111), (14, 278), ())


def test_the_profiles_models_get_their_strides_counts():
    """config/config.yaml: the main models (stride 8) the profile's counts, the ablation networks
    (stride 16) memory_at_stride[16]; config/paper.yaml resets it, so the paper's P = 128 everywhere."""
    from tests.workflow.workflow_helpers import REPO, workflow_config

    default = workflow_config(REPO / "config" / "config.yaml")
    xmem = get_method("xmem").memory
    strides = {m: key_stride(m, default) for m in ("xmem", "stcn", "xmem_ablation", "xmem_no_sensory", "xmem_bl30k")}
    assert strides == {"xmem": 8, "stcn": 8, "xmem_ablation": 16, "xmem_no_sensory": 16, "xmem_bl30k": 16}
    lv = lambda model, config: inference_config(Run(model, "LV1"), config, xmem).memory.num_prototypes  # noqa: E731
    assert (lv("xmem", default), lv("xmem_ablation", default)) == (14, 4)
    member = lambda model: inference_config(Run(model, "D17", "ms_s-1_r3"), default, xmem).memory  # noqa: E731
    assert (member("xmem").num_prototypes, member("xmem_bl30k").num_prototypes) == (142, 35)
    assert (member("xmem").max_long_term_elements, member("xmem_bl30k").max_long_term_elements) == (2765, 691)
    paper = workflow_config(REPO / "config" / "paper.yaml")
    assert key_stride("xmem", paper) == 16
    assert (lv("xmem", paper), lv("stcn", paper), lv("xmem_no_sensory", paper)) == (128, 128, 128)
    smoke = workflow_config(REPO / "config" / "smoke.yaml")
    assert (key_stride("xmem", smoke), lv("xmem", smoke), lv("stcn", smoke)) == (16, 128, 128)
    released = {**default, "weights": "official"}  # released XMem (stride 16) on the synthetic profile
    assert (lv("xmem", released), prototype_setting("usage", 4, released), ltmax_setting(278, released)) == (
        4, "default", "default")
