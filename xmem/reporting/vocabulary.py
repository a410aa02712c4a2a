"""The report's words: abbreviations, table captions, hardware labels, metric names and units.

One place for the facts that the wide tables, the long-format CSV and the report all print:

* :data:`ABBREVIATIONS` — every short code used in column names and settings, defined once;
* :data:`TABLE_CAPTIONS` — one caption per table (the paper's caption, shortened);
* :func:`memory_metric` — the name of a measured memory column for what it holds
  (``max_gpu_memory_MB``: the CUDA allocator's peak, as in the paper; ``max_memory_store_MB``:
  bytes held by the memory stores, what a CPU run can measure);
* :func:`metric_unit` — the unit of every metric as the tables print it (scores in percent,
  while ``scores/global_results.csv`` holds fractions like davis2017-evaluation);
* :data:`PAPER_HARDWARE` and :func:`measured_hardware` — where FPS and memory were measured.
"""

from __future__ import annotations

#: (code, meaning) in reading order; the report prints this list once, near its top
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("Y18, Y19", "YouTubeVOS 2018 / 2019 validation"),
    ("D16, D17", "DAVIS 2016 / 2017 validation"),
    ("D17td", "DAVIS 2017 test-dev"),
    ("LV1", "Long-time Video (1×), the paper's L1×"),
    ("LV3, LVn", "Long-time Video played back and forth to 3× (n×) its length (L3×; `xmem extend`)"),
    ("LV1->LV3", "change from LV1 to LV3 (the paper's ∆1×→3×)"),
    ("J", "region similarity (Jaccard index, IoU of masks)"),
    ("F", "contour accuracy (boundary F-measure)"),
    ("J&F", "mean of J and F (DAVIS, Long-time Video)"),
    ("G", "YouTubeVOS overall score, the mean of J_s, F_s, J_u, F_u"),
    ("J_s, F_s", "J and F on object classes seen in training (YouTubeVOS)"),
    ("J_u, F_u", "J and F on unseen classes (YouTubeVOS)"),
    ("J&F_delta", "J&F on LV3 minus J&F on LV1, in percent points"),
    ("FPS", "frames per second of inference (paper: NVIDIA V100; measured: see the hardware column)"),
    ("max_gpu_memory_MB", "largest GPU memory allocation while processing (CUDA peak), MiB"),
    ("max_memory_store_MB", "largest number of bytes held by the memory stores (CPU runs), MiB"),
    ("compression_ratio_pct", "working-memory elements turned into one prototype, in percent (Table 6)"),
    ("r", "memory insertion interval: every r-th frame becomes a memory frame"),
    ("offset", "memory-insertion offset in [0, r): which frames become memory frames; "
               "± std is over the offsets (the paper uses 5)"),
    ("T_min, T_max", "smallest / largest number of working-memory frames"),
    ("P", "prototypes kept per memory consolidation"),
    ("LT_max (LTmax)", "largest number of long-term memory elements"),
    ("selection", "how prototypes are chosen: usage-based (XMem), random, or k-means centroids"),
    ("BL30K, XMem*", "synthetic pretraining data set; a trailing * marks methods pretrained on it"),
    ("std", "sample standard deviation (ddof = 1) over memory-insertion offsets"),
)

#: table name -> caption (the paper's caption, shortened; what the measured rows change)
TABLE_CAPTIONS: dict[str, str] = {
    "table1_long_time_video": "Table 1. Comparisons on the Long-time Video dataset (LV1, LV3) and the change "
                              "LV1->LV3; ± std over memory-insertion offsets.",
    "table2_short_video": "Table 2. Comparisons on three short-video datasets (Y18, D17, D16). †: FPS re-timed "
                          "on the authors' hardware.",
    "table3_davis17_testdev": "Table 3. Results on DAVIS 2017 test-dev (D17td). ‡: 600p videos.",
    "table4_memory_stores": "Table 4. Ablation on the memory stores (sensory, working, long-term); standard "
                            "deviations for LV1 (the paper's L1×) omitted.",
    "table5_scaling_terms": "Table 5. Ablation on the two scaling terms of memory reading (shrinkage s, "
                            "selection e).",
    "table6_consolidation": "Table 6. Memory consolidation: prototype selection (random, k-means, usage-based), "
                            "number of prototypes P, potentiation; compression ratio of one consolidation.",
    "table7_long_video_strategies": "Table 7. Strategies for long videos: consolidation, eager compression, "
                                    "sparse insertion, local window.",
    "table8_deep_update": "Table 8. Ablation on the deep-update frequency of the sensory memory.",
    "tableS1_ltmax": "Table S1. Upper limit of the long-term memory LT_max on LV3: J&F, largest memory, FPS.",
    "tableS2_stcn_retrained": "Table S2. STCN as published vs re-trained with XMem's training setup; "
                              "XMem as a reference.",
    "tableS3_youtubevos19": "Table S3. Comparisons on YouTubeVOS 2019 validation (Y19).",
    "tableS4_no_pretraining": "Table S4. Methods without static-image pretraining.",
    "tableS5_S9_training_data": "Tables S5-S9. XMem with different training data, on D16 (S5), D17 (S6), "
                                "D17td (S7), Y18 (S8), Y19 (S9).",
    "tableS10_S11_multiscale": "Tables S10-S11. XMem with and without multi-scale evaluation on DAVIS (S10) "
                               "and YouTubeVOS (S11). ‡: 600p evaluation.",
}

PAPER_HARDWARE = "NVIDIA V100 (paper)"

#: metric names of a measured memory cell, by what the run's per-frame log held
GPU_MEMORY_METRIC = "max_gpu_memory_MB"
STORE_MEMORY_METRIC = "max_memory_store_MB"

PERCENT = "%"
PERCENT_POINTS = "percent points"
#: metric code -> unit of the number as the tables print it
_UNITS = {
    "J&F_delta": PERCENT_POINTS,
    "FPS": "frames/s",
    GPU_MEMORY_METRIC: "MiB",
    STORE_MEMORY_METRIC: "MiB",
    "compression_ratio_pct": PERCENT,
}


def memory_metric(on_gpu: bool) -> str:
    """The metric name of a measured memory number: the CUDA peak on a GPU, else the bytes held
    by the memory stores (the only memory a CPU run can attribute to the method)."""
    return GPU_MEMORY_METRIC if on_gpu else STORE_MEMORY_METRIC


def metric_unit(metric: str) -> str:
    """Unit of a table metric: scores (J, F, J&F, G, J_s, ...) are percent; see :data:`_UNITS`."""
    return _UNITS.get(metric, PERCENT)


def measured_hardware(config: dict) -> str:
    """Where and in which precision the measured rows of a profile ran, e.g. "CPU, 1 torch thread per
    inference job (see Machine)"; with ``inference.amp`` set: ", inference.amp auto (each run's
    precision: protocol column)"."""
    device = str(config.get("device", "cpu"))
    inference = config.get("inference", {})
    threads = int(inference.get("threads", 1))
    amp = inference.get("amp", False)
    precision = "" if amp is False else f", inference.amp {str(amp).lower()} (each run's precision: protocol column)"
    if device == "cuda":
        return f"CUDA GPU (this profile; see Machine){precision}"
    return f"CPU, {threads} torch thread{'s' if threads != 1 else ''} per inference job (see Machine){precision}"
