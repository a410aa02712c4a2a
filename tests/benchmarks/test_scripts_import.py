"""Every benchmark script imports (its imports resolve, nothing runs on import): a script whose
import broke after a refactor fails here, not when someone needs its numbers."""

from __future__ import annotations

import pytest

from bench_scripts import BENCHMARKS, load_script

SCRIPTS = sorted(p.stem for p in BENCHMARKS.glob("*.py"))


def test_there_are_scripts() -> None:
    assert "bench_lv_frame_time" in SCRIPTS and "diag_sensory_absence" in SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_imports_and_has_a_main(name: str) -> None:
    module = load_script(name)
    assert callable(getattr(module, "main", None)), f"benchmarks/{name}.py has no main()"
