"""Reporting helpers: the XMem paper's published numbers as data."""

from xmem.reporting.paper import (
    DATASETS,
    METRICS,
    TABLE_NAMES,
    column_label,
    default_results_path,
    load_paper_results,
    paper_table,
    paper_value,
)

__all__ = [
    "DATASETS",
    "METRICS",
    "TABLE_NAMES",
    "column_label",
    "default_results_path",
    "load_paper_results",
    "paper_table",
    "paper_value",
]
