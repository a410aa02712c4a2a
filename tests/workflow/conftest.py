import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    return tmp_path
