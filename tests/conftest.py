"""Project-wide test settings."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # pytest -n 2 runs two workers on two cores

import torch  # noqa: E402

torch.set_num_threads(1)
