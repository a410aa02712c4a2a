"""Named settings -> the typed InferenceConfig of a run, equal to what ``xmem infer`` options built."""

from __future__ import annotations

import argparse

import pytest

from xmem.errors import XMemError
from xmem.experiments.paths import Run
from xmem.experiments.settings import SETTINGS, inference_config, length_dependent, offsets
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
    assert set(ARGV) <= set(SETTINGS)
    assert [s for s in SETTINGS if length_dependent(s)] == ["sparse_insertion"]
    with pytest.raises(XMemError, match="unknown setting"):
        inference_config(Run("xmem", "D17", "nonsense"), CONFIG, get_method("xmem").memory)
