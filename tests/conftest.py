"""Project-wide test settings and the one way to reach the ``../shared`` fixtures.

``../shared`` (beside the repository) holds files that are not part of the repository: the golden
traces recorded from the official code, the davis2017-evaluation fixture and the official state-dict
tables. In a plain clone it is absent and the tests that need it skip with a one-line reason; set
``XMEM_REQUIRE_SHARED=1`` (CI) to make its absence a failure instead.
"""

import os
from pathlib import Path
from typing import Callable

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")  # pytest -n 2 runs two workers on two cores

import torch  # noqa: E402

torch.set_num_threads(1)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"  # ../shared from the repository root


def shared_path(relative: str) -> Path:
    """``../shared/<relative>``, or skip the calling test (fail with XMEM_REQUIRE_SHARED=1) when absent."""
    path = SHARED / relative
    if not path.exists():
        reason = f"needs ../shared/{relative} beside the repository (not part of a plain clone)"
        if os.environ.get("XMEM_REQUIRE_SHARED") == "1":
            pytest.fail(reason + "; XMEM_REQUIRE_SHARED=1 requires it", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def shared() -> Callable[[str], Path]:
    """Fixture form of :func:`shared_path`: ``shared("fixtures/davis-eval")``."""
    return shared_path
