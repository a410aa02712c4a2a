"""MemoryConfig validation, strategy resolution and the official option mapping."""

import dataclasses

import pytest

from xmem.errors import XMemError
from xmem.memory.config import STRATEGIES, MemoryConfig, needs_long_term_usage


def test_defaults_are_the_paper_settings():
    c = MemoryConfig()
    assert (c.top_k, c.min_work_frames, c.max_work_frames) == (30, 5, 10)
    assert (c.num_prototypes, c.max_long_term_elements) == (128, 10000)
    assert (c.strategy, c.prototype_selection, c.potentiation) == ("consolidation", "usage", True)
    assert c.max_memory_frames == 50
    assert c.uses_long_term and c.uses_working_memory


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MemoryConfig().top_k = 5


def test_strategies_listed():
    assert set(STRATEGIES) == {
        "consolidation",
        "eager_compression",
        "sparse_insertion",
        "local_window",
        "no_long_term",
        "sensory_only",
    }


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"max_work_frames": 5}, "T_max=5"),  # T_max == T_min
        ({"min_work_frames": 6, "max_work_frames": 4}, "T_min=6"),
        ({"min_work_frames": 0}, "min-mid-term"),
        ({"max_long_term_elements": 128}, "max-long-term-elements"),  # LT_max == P
        ({"max_long_term_elements": 10, "num_prototypes": 20}, "num-prototypes"),
        ({"strategy": "forgetful"}, "forgetful"),
        ({"prototype_selection": "best"}, "best"),
        ({"top_k": 0}, "top-k"),
        ({"num_prototypes": 0}, "num-prototypes"),
        ({"max_memory_frames": 1}, "max_memory_frames"),
        ({"strategy": "eager_compression", "max_long_term_elements": 100}, "max-long-term"),
    ],
)
def test_impossible_settings_raise_one_line_xmem_error(kwargs, fragment):
    with pytest.raises(XMemError) as info:
        MemoryConfig(**kwargs)
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_lt_max_is_only_checked_when_long_term_memory_is_used():
    assert MemoryConfig(strategy="no_long_term", max_long_term_elements=1).max_long_term_elements == 1
    assert MemoryConfig(strategy="local_window", max_long_term_elements=1).strategy == "local_window"
    assert MemoryConfig(max_long_term_elements=129).max_long_term_elements == 129  # LT_max = P + 1 is fine


@pytest.mark.parametrize(
    "strategy,long_term,working",
    [
        ("consolidation", True, True),
        ("eager_compression", True, True),
        ("sparse_insertion", False, True),
        ("local_window", False, True),
        ("no_long_term", False, True),
        ("sensory_only", False, False),
    ],
)
def test_strategy_properties(strategy, long_term, working):
    c = MemoryConfig(strategy=strategy)
    assert (c.uses_long_term, c.uses_working_memory) == (long_term, working)


def test_resolved_is_identity_except_for_eager_compression():
    for strategy in STRATEGIES:
        if strategy != "eager_compression":
            c = MemoryConfig(strategy=strategy, min_work_frames=3, max_work_frames=7)
            assert c.resolved() is c


@pytest.mark.parametrize(
    "t_min,t_max,p,expected_p",
    [(5, 10, 128, 26), (2, 5, 10, 4), (1, 3, 7, 4), (5, 10, 5, 1), (1, 5, 2, 1)],
)
def test_eager_compression_resolution(t_min, t_max, p, expected_p):
    c = MemoryConfig(
        strategy="eager_compression", min_work_frames=t_min, max_work_frames=t_max, num_prototypes=p, seed=4
    ).resolved()
    assert (c.min_work_frames, c.max_work_frames, c.num_prototypes) == (1, 2, expected_p)
    assert c.prototype_selection == "random" and c.strategy == "eager_compression" and c.seed == 4
    assert c.resolved() == c  # idempotent


def test_eager_compression_with_t_1_2_still_selects_randomly():
    c = MemoryConfig(strategy="eager_compression", min_work_frames=1, max_work_frames=2, num_prototypes=9).resolved()
    assert (c.min_work_frames, c.max_work_frames, c.num_prototypes) == (1, 2, 9)  # ratio 1: P unchanged
    assert c.prototype_selection == "random"


def test_from_official_options():
    options = {
        "top_k": 20,
        "enable_long_term": True,
        "min_mid_term_frames": 3,
        "max_mid_term_frames": 6,
        "num_prototypes": 64,
        "max_long_term_elements": 500,
        "enable_long_term_count_usage": False,
        "hidden_dim": 64,  # unrelated options are ignored
    }
    c = MemoryConfig.from_official(options)
    assert (c.top_k, c.strategy, c.min_work_frames, c.max_work_frames) == (20, "consolidation", 3, 6)
    assert (c.num_prototypes, c.max_long_term_elements, c.count_long_term_usage) == (64, 500, False)
    assert MemoryConfig.from_official({"enable_long_term": False}).strategy == "no_long_term"
    assert MemoryConfig.from_official({}) == MemoryConfig()


def test_from_official_rejects_bad_options():
    with pytest.raises(XMemError):
        MemoryConfig.from_official({"min_mid_term_frames": 10, "max_mid_term_frames": 10})


@pytest.mark.parametrize(
    "config,frames,expected",
    [
        # official eval.py: frames / (T_max - T_min) * P >= LT_max ; defaults: 10000 * 5 / 128 = 390.6
        (MemoryConfig(), 390, False),
        (MemoryConfig(), 391, True),
        (MemoryConfig(min_work_frames=2, max_work_frames=4, num_prototypes=10, max_long_term_elements=50), 10, True),
        (MemoryConfig(min_work_frames=2, max_work_frames=4, num_prototypes=10, max_long_term_elements=50), 9, False),
        (MemoryConfig(strategy="no_long_term"), 10**6, False),
        (MemoryConfig(strategy="local_window"), 10**6, False),
        # eager compression counts with its resolved setting: T 1..2, P' = 26 -> 10000 / 26 = 384.6
        (MemoryConfig(strategy="eager_compression"), 384, False),
        (MemoryConfig(strategy="eager_compression"), 385, True),
    ],
)
def test_needs_long_term_usage(config, frames, expected):
    assert needs_long_term_usage(config, frames) is expected
