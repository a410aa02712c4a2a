"""The memory manager reproduces traces recorded from the official XMem MemoryManager."""

import pytest
import torch

from xmem.memory.config import MemoryConfig
from xmem.memory.manager import MemoryController



@pytest.fixture(scope="module")
def scenarios(shared) -> dict:
    golden = shared("fixtures/xmem-memory-golden.pt")
    return {s["name"]: s for s in torch.load(golden, weights_only=True)["scenarios"]}


SCENARIOS = [
    "single_group_consolidation_and_eviction",
    "late_object_group_no_eviction",
    "no_long_term_topk",
]


@pytest.mark.parametrize("name", SCENARIOS)
def test_manager_reproduces_official_trace(scenarios, name):
    scenario = scenarios[name]
    manager = MemoryController(MemoryConfig.from_official(scenario["config"]))
    for step in scenario["steps"]:
        if step["t"] > 0:
            ours = manager.read(step["key"], step["selection"])
            expected = step["readout"]
            assert ours.shape == expected.shape, f"t={step['t']}"
            torch.testing.assert_close(ours, expected, rtol=1e-4, atol=1e-5, msg=f"{name} t={step['t']}")
        if step["is_mem_frame"]:
            manager.add(step["key"], step["shrinkage"], step["value"], step["objects"], selection=step["selection"])
        assert manager.work_size == step["work_size"], f"t={step['t']}"
        assert manager.long_size == step["long_size"], f"t={step['t']}"


def test_traces_exercise_consolidation_and_eviction(scenarios):
    """Guard against a fixture that would make the golden test vacuous."""
    longs = [s["long_size"] for s in scenarios["single_group_consolidation_and_eviction"]["steps"]]
    assert max(longs) == 100 and longs[-1] == 100  # LT_max reached: eviction happened
    late = scenarios["late_object_group_no_eviction"]["steps"]
    assert late[0]["objects"] == [1] and late[-1]["objects"] == [1, 2]
