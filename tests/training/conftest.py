import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_data import make_all  # noqa: E402


@pytest.fixture(scope="session")
def train_data(tmp_path_factory) -> Path:
    """Tiny static / DAVIS / YouTube-VOS datasets in the real layouts (created once)."""
    root = tmp_path_factory.mktemp("train_data")
    make_all(root)
    return root
