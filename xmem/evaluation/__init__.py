"""Evaluation of video object segmentation: J, F and J&F (DAVIS protocol), Long-time Video,
YouTube-VOS, and memory/speed analysis of inference logs.

Modules:
    metrics          region similarity J, boundary F-measure (pure numpy/OpenCV)
    statistics       per-object mean / recall / decay
    inputs           locating and reading ground-truth and predicted masks
    engine           frame jobs, optionally over a process pool
    davis            DAVIS 2017 semi-supervised protocol, Long-time Video
    youtube          YouTube-VOS local evaluation and submission zips
    results          EvaluationResult and its CSV files
    memory_analysis  memory increase, FPS, max memory from ``xmem infer`` logs
    cli              ``xmem evaluate``
"""

from xmem.evaluation.davis import DavisProtocol, evaluate_davis, evaluate_long_video
from xmem.evaluation.metrics import boundary_f_measure, boundary_map, disk_kernel, region_similarity, score_objects
from xmem.evaluation.results import EvaluationResult
from xmem.evaluation.statistics import decay, decay_bin_edges, object_statistics
from xmem.evaluation.youtube import evaluate_youtube, write_youtube_submission

__all__ = [
    "DavisProtocol",
    "EvaluationResult",
    "boundary_f_measure",
    "boundary_map",
    "decay",
    "decay_bin_edges",
    "disk_kernel",
    "evaluate_davis",
    "evaluate_long_video",
    "evaluate_youtube",
    "object_statistics",
    "region_similarity",
    "score_objects",
    "write_youtube_submission",
]
