"""Checks and statistics of many datasets on a Ray cluster: every dataset cut into shards, each shard
a Ray task (``episcope.check(path, shard=(k, n))``), the parts merged by one more task per dataset
(``episcope.merge``) into exactly the report a single process gives.

The tasks read the datasets where they run, so every node must see the same paths (a shared file
system, or the same object-store URLs once those are supported). Connects to the cluster Ray finds
(``ray.init()``: ``RAY_ADDRESS``, or a local one) unless ``ray.init`` was called already.

Needs Ray (``pip install ray``); imported only when these functions run.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Union

import episcope

PathLike = Union[str, "os.PathLike[str]"]


def _ray():
    try:
        import ray
    except ImportError as e:  # pragma: no cover - the message is the documentation
        raise ImportError("episcope.ray needs Ray: pip install ray") from e
    if not ray.is_initialized():
        ray.init()
    return ray


def _check_part(path: str, shard: tuple, profile: Optional[str], skip_hashes: bool) -> Dict[str, Any]:
    return episcope.check(path, profile, skip_hashes=skip_hashes, shard=shard)


def _stats_part(path: str, shard: tuple) -> Dict[str, Any]:
    return episcope.stats(path, shard=shard)


def _merge(*parts: Dict[str, Any]) -> Dict[str, Any]:
    return episcope.merge(list(parts))


def _run_many(paths: Sequence[PathLike], shards_per_dataset: int, part, args: tuple, cpus: float) -> List[Any]:
    if shards_per_dataset < 1:
        raise ValueError(f"shards_per_dataset must be at least 1, not {shards_per_dataset}")
    ray = _ray()
    part_task = ray.remote(num_cpus=cpus)(part)
    merge_task = ray.remote(num_cpus=cpus)(_merge)
    n = int(shards_per_dataset)
    merged = []
    for path in paths:
        parts = [part_task.remote(os.fspath(path), (k, n), *args) for k in range(n)]
        merged.append(merge_task.remote(*parts))
    return ray.get(merged)


def check_many(
    paths: Sequence[PathLike],
    *,
    shards_per_dataset: int = 1,
    profile: Optional[PathLike] = None,
    skip_hashes: bool = False,
    html: Optional[PathLike] = None,
    lang: str = "en",
    num_cpus_per_task: float = 1,
) -> Dict[str, Any]:
    """Checks every dataset of ``paths`` in ``shards_per_dataset`` Ray tasks each and merges the parts.

    Returns ``{"reports": [...], "comparison": [...]}``: each dataset's report (equal to
    ``episcope.check(path, profile, skip_hashes=...)``) and the comparison of them all (the rows of
    ``episcope compare``); with ``html``, the comparison page is written there (``lang`` en or ja).
    """
    args = (None if profile is None else os.fspath(profile), bool(skip_hashes))
    reports = _run_many(paths, shards_per_dataset, _check_part, args, num_cpus_per_task)
    return {"reports": reports, "comparison": episcope.compare(reports, html=html, lang=lang)}


def stats_many(
    paths: Sequence[PathLike], *, shards_per_dataset: int = 1, num_cpus_per_task: float = 1
) -> List[Dict[str, Any]]:
    """The statistics of every dataset of ``paths``, each computed in ``shards_per_dataset`` Ray
    tasks and merged: equal to ``episcope.stats(path)`` (quantiles of large columns through the
    sketch, with its bound reported)."""
    return _run_many(paths, shards_per_dataset, _stats_part, (), num_cpus_per_task)
