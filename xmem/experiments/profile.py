"""What a workflow profile (config/*.yaml) provides: settings it runs, weights, availability.

A profile is the workflow's config mapping (validated by workflow/schemas/config.schema.yaml).
:func:`run_availability` is the one answer to "can this profile run and score this run?"
that the workflow (which jobs exist), the tables and the figures (why a cell is empty) share.
"""

from __future__ import annotations

from pathlib import Path

from xmem.errors import XMemError
from xmem.experiments.datasets import dataset_layout
from xmem.experiments.paths import Run
from xmem.experiments.settings import MULTISCALE

COPY_MODEL = "copy"  # "copy the first-frame mask to every frame" lower bound (no network)
#: the released STCN weights (``stcn_weights``) run next to the retrained STCN (``weights: train``)
RELEASED_STCN = "stcn_released"


def runs_released_stcn(config: dict) -> bool:
    """Whether the plan has rows of the released stcn.pth besides the retrained STCN."""
    return bool(config.get("stcn_weights")) and config.get("weights") != "official"


def setting_enabled(setting: str, config: dict) -> bool:
    """Whether a profile runs an inference setting (``inference.settings``: a list, or absent = all)."""
    enabled = config["inference"].get("settings")
    if enabled is None or enabled == "all":
        return True
    name = MULTISCALE if setting.startswith(MULTISCALE) else setting
    return name == "default" or name in enabled


def model_weights_source(model: str, config: dict) -> tuple[str | None, str]:
    """(weights path or None, reason) for a model under ``weights: official``."""
    given = dict(config.get("official_weights") or {})
    if config.get("xmem_weights"):
        given["xmem"] = config["xmem_weights"]
    if config.get("stcn_weights"):
        given["stcn"] = config["stcn_weights"]
    path = given.get(model)
    if path is None:
        return None, f"no released weights given for {model} (weights=official)"
    if not Path(path).is_file():
        raise XMemError(f"weights for {model}: {path} does not exist; fix xmem_weights / stcn_weights / official_weights")
    return path, ""


def trained_weights(model: str, config: dict) -> str:
    """Where the workflow writes the weights it trains for ``model``."""
    return f"{config['results']}/models/{model}/network.pth"


def weights_path(model: str, config: dict) -> str:
    """The weights the profile runs ``model`` with (trained, or released under ``weights: official``)."""
    if model == RELEASED_STCN:
        path = config.get("stcn_weights")
        if not path or not Path(path).is_file():
            raise XMemError(f"stcn_weights: {path} does not exist; fix the path or set it to null")
        return path
    if config.get("weights") != "official":
        return trained_weights(model, config)
    path, reason = model_weights_source(model, config)
    if path is None:
        raise XMemError(reason)
    return path


def run_unavailable(run: Run, config: dict) -> str:
    """Why the profile cannot *run* ``run`` ("" when it can): setting, dataset, weights."""
    if not setting_enabled(run.setting, config):
        return f"setting {run.setting} is not run in the {config['profile']} profile"
    return inputs_unavailable(run, config)


def inputs_unavailable(run: Run, config: dict) -> str:
    """Why the profile lacks the dataset or the weights of ``run`` ("" when it has both)."""
    layout = dataset_layout(run.dataset, config)
    if not layout.data_root:
        return layout.reason
    if run.model != COPY_MODEL and config["weights"] == "official":
        path, reason = model_weights_source(run.model, config)
        if path is None:
            return reason
    return ""


def server_submission(run: Run, config: dict) -> str:
    """For a run scored by an evaluation server (ground truth not local): "submission archive
    <path> for <server>"; "" otherwise."""
    from xmem.evaluation.submission import SERVERS
    from xmem.experiments.paths import RunPaths

    layout = dataset_layout(run.dataset, config)
    if not layout.server or run_unavailable(run, config):
        return ""
    return f"{RunPaths.of(config['results'], run).submission} -> {SERVERS[run.dataset].name}"


def run_availability(run: Run, config: dict) -> tuple[bool, str]:
    """(True, "") when the profile can run and score ``run``, else (False, reason)."""
    reason = run_unavailable(run, config)
    if not reason:
        layout = dataset_layout(run.dataset, config)
        archive = server_submission(run, config)
        reason = "" if layout.scorable else (f"scored by the server: submit {archive}" if archive else layout.reason)
    return not reason, reason
