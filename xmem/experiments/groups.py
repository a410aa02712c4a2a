"""Run groups: the runs one workflow job executes, as typed :class:`GroupJob` specs.

A group is (model, dataset or "LV", setting) with every memory-insertion offset a profile
needs. Processing is causal and the n-times Long-time Video is the 1-times video played back
and forth, so LVk is the first k/n of LVn: a job infers each offset once, on the longest
variant it needs, and scores the shorter ones on the same masks (see
:mod:`xmem.experiments.execute`). Sparse insertion, whose schedule depends on the length, is
never derived.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from xmem.experiments.datasets import DatasetRef, EvalSpec, dataset_layout
from xmem.experiments.paths import Run, RunPaths, group_marker
from xmem.experiments.profile import COPY_MODEL, RELEASED_STCN, run_availability
from xmem.experiments.settings import MULTISCALE, inference_config, is_long, is_multiscale_member, length_dependent, long_times
from xmem.inference.config import InferenceConfig
from xmem.methods import get_method
from xmem.utils.precision import AmpSetting

LONG_GROUP = "LV"  # one job serves every Long-time Video length: LVk is a prefix of LVn for k <= n
GroupKey = tuple[str, str, str]


def group_key(run: Run) -> GroupKey:
    """(model, dataset or "LV", setting): the runs of one workflow job."""
    shareable = is_long(run.dataset) and not length_dependent(run.setting)
    return run.model, LONG_GROUP if shareable else run.dataset, run.setting


def group_runs(runs: Iterable[Run]) -> dict[GroupKey, tuple[Run, ...]]:
    """group key -> the runs of that job, sorted by offset, then longest dataset first."""
    groups: dict[GroupKey, set[Run]] = {}
    for run in runs:
        groups.setdefault(group_key(run), set()).add(run)
    order = lambda r: (r.offset, -long_times(r.dataset) if is_long(r.dataset) else 0)  # noqa: E731
    return {key: tuple(sorted(members, key=order)) for key, members in groups.items()}


@dataclass(frozen=True)
class RunSpec:
    """One run of a job: what to read, how to infer, where to write, how to score.

    ``save`` selects the frames that get a mask (None = the dataset's default);
    ``evaluation`` None = not scorable in this profile (inference only).
    """

    run: Run
    dataset: DatasetRef
    config: InferenceConfig
    paths: RunPaths
    save: str | None = None
    evaluation: EvalSpec | None = None
    server: bool = False  # write the evaluation server's archive (paths.submission) after inference

    @property
    def run_dir(self) -> Path:
        return self.paths.root


@dataclass(frozen=True)
class GroupJob:
    """What one job runs. ``method`` None is the first-frame-copy baseline (no network)."""

    marker: Path  # written last: the job's declared output
    method: str | None
    weights: str | None
    runs: tuple[RunSpec, ...]  # by offset; for Long-time Video the longest variant first
    device: str = "cpu"
    save_probs: bool = False
    amp: AmpSetting = False  # the profile's inference.amp, resolved on the machine that runs the job


def save_mode(dataset: str) -> str | None:
    """Long-time Video n× (n > 1) keeps the annotated frames' masks only; LV1 keeps all."""
    if not is_long(dataset):
        return None
    return "annotated" if long_times(dataset) > 1 else "all"


def run_spec(run: Run, config: dict) -> RunSpec:
    """The executable spec of a planned ``run`` in profile ``config``."""
    layout = dataset_layout(run.dataset, config)
    scorable = run_availability(Run(run.model, run.dataset, run.setting), config)[0]
    save = save_mode(run.dataset)
    if run.model == COPY_MODEL:
        inference, save = InferenceConfig(), None  # copying the prompt: every frame, default listing
    else:
        method = get_method(model_method(run.model))
        inference = inference_config(run, config, method.memory)
        method.check(inference.memory)
        scorable = scorable and inference.max_frames is None  # a cut run has no masks after its last frame
    return RunSpec(run, layout.ref, inference, RunPaths.of(config["results"], run), save,
                   layout.evaluation if scorable else None, server=layout.server and not scorable)


def model_method(model: str) -> str:
    """The registered method a plan model (``xmem_no_sensory``, ``stcn``, ...) is an instance of."""
    return "stcn" if model in ("stcn", RELEASED_STCN) else "xmem"


def group_job(config: dict, runs: tuple[Run, ...], weights: str | None) -> GroupJob:
    """The job of one group (``runs`` from :func:`group_runs`) in profile ``config``."""
    model, _, setting = key = group_key(runs[0])
    return GroupJob(
        marker=Path(group_marker(config["results"], key)),
        method=None if model == COPY_MODEL else model_method(model),
        weights=None if model == COPY_MODEL else weights,
        runs=tuple(run_spec(r, config) for r in runs),
        device=config.get("device", "cpu"),
        save_probs=is_multiscale_member(setting),
        amp=config["inference"].get("amp", False),
    )


@dataclass(frozen=True)
class MultiscaleJob:
    """Merging the saved probabilities of a dataset's multi-scale member runs (Appendix H)."""

    marker: Path
    dataset: DatasetRef
    paths: RunPaths  # the merged run (offset 0)
    members: tuple[RunPaths, ...]
    evaluation: EvalSpec | None = None
    server: bool = False  # write the evaluation server's archive of the merged masks
    code: str = ""  # the dataset code (D17td, Y18, ...) of the merged run


def multiscale_job(config: dict, model: str, dataset: str) -> MultiscaleJob:
    """The merge job of ``model``'s multi-scale run on ``dataset`` in profile ``config``."""
    from xmem.experiments.plan import multiscale_members

    merged = Run(model, dataset, MULTISCALE)
    layout = dataset_layout(dataset, config)
    members = tuple(RunPaths.of(config["results"], Run(model, dataset, m)) for m in multiscale_members(dataset, config))
    scorable = run_availability(merged, config)[0]
    return MultiscaleJob(Path(group_marker(config["results"], group_key(merged))), layout.ref,
                         RunPaths.of(config["results"], merged), members,
                         layout.evaluation if scorable else None, server=layout.server and not scorable, code=dataset)
