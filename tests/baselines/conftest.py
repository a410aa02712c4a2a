import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread():
    """Tiny convolutions run far faster on one thread when the shared cores are busy."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
