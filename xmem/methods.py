"""The registry of segmentation methods: XMem here, STCN and future methods in their own packages.

A :class:`Method` couples a name with its checkpoint loader (network building and strict
loading), its default memory settings and the memory strategies it supports. The core
registers XMem; a method package registers itself on import (``register(Method(...))`` in its
``__init__``), and is found either as one of :data:`PLUGIN_PACKAGES` (the method packages
shipped beside ``xmem`` in this repository) or through the ``xmem.methods`` entry-point group
of an installed distribution. The core never imports a method package statically, so
``import xmem`` works without them. See docs/methods.md.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from xmem.errors import XMemError
from xmem.memory.config import STRATEGIES, MemoryConfig

if TYPE_CHECKING:  # the registry itself imports no torch: planning code looks methods up too
    import torch
    from torch import nn

log = logging.getLogger(__name__)

#: method packages of this repository, imported when a method is first looked up
PLUGIN_PACKAGES = ("baselines.stcn",)
ENTRY_POINT_GROUP = "xmem.methods"

Loader = Callable[[str | os.PathLike, "torch.device"], "nn.Module"]


@dataclass(frozen=True)
class Method:
    """One registered method.

    Attributes:
        name: the ``--model`` / plan name (``xmem``, ``stcn``).
        load: (weights path, device) -> network in eval mode, loaded strictly.
        memory: default memory settings (``top_k``, strategy, ...) of the method.
        strategies: the memory strategies the method supports.
        label: the name shown in tables and figures.
        training: ``"module:attribute"`` of its trainable kind (:class:`xmem.training.models.ModelKind`),
            imported only by the trainer; None = not trainable here.
    """

    name: str
    load: Loader
    memory: MemoryConfig
    strategies: tuple[str, ...] = STRATEGIES
    label: str = ""
    training: str | None = None

    def check(self, memory: MemoryConfig) -> None:
        """XMemError when ``memory`` asks for a strategy this method does not support."""
        if memory.strategy not in self.strategies:
            raise XMemError(f"--strategy {memory.strategy} is not supported by {self.label or self.name}; "
                            f"use one of {', '.join(self.strategies)}")


_REGISTRY: dict[str, Method] = {}
_plugins_loaded = False


def register(method: Method) -> Method:
    """Add ``method`` to the registry (a second registration of a name replaces the first)."""
    _REGISTRY[method.name] = method
    return method


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for package in PLUGIN_PACKAGES:
        try:
            importlib.import_module(package)
        except ImportError as exc:
            log.debug("method package %s not importable: %s", package, exc)
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        entry.load()


def method_names() -> list[str]:
    """Names of every registered method (method packages loaded first)."""
    _load_plugins()
    return sorted(_REGISTRY)


def get_method(name: str) -> Method:
    """The registered method ``name``; XMemError listing the known ones otherwise."""
    if name not in _REGISTRY:
        _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise XMemError(f"unknown method {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def _load_xmem(path: str | os.PathLike, device: torch.device) -> nn.Module:
    from xmem.model.checkpoint import load_network

    return load_network(path, device=device)


XMEM = register(Method("xmem", _load_xmem, MemoryConfig(top_k=30, strategy="consolidation"), label="XMem",
                       training="xmem.training.models:XMEM_TRAINING"))
