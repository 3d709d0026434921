"""Episcope from Python: look at, measure and certify robot-learning datasets locally.

The same engine as the ``episcope`` command line and the web app (Rust, built into this package):
LeRobot datasets v2.0, v2.1 and v3.0, and recordings (MCAP, rosbag2 folders, ROS 1 bags, HDF5).
Every function takes a local path — or a URL: ``s3://``, ``gs://``, ``az://``, ``https://`` or
``hf://datasets/ORG/NAME[@REVISION]``, read lazily by byte range, with credentials from the usual
environment variables (``AWS_*``, ``GOOGLE_*``, ``AZURE_*``, ``HF_TOKEN``) — and releases the GIL
while it works, so threads run in parallel. Only a URL touches the network. Results are plain dicts with the CLI's JSON schemas
(``episcope check --json`` and so on); :func:`read_episode` returns a ``pyarrow.Table``.

Errors: :class:`EpiscopeError` (``.path`` names the file it is about), ``FileNotFoundError`` for
a path that is neither a folder nor a recording file, ``ValueError`` for a bad argument.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _episcope
from ._episcope import EpiscopeError

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow

__all__ = ["EpiscopeError", "info", "check", "stats", "merge", "compare", "report", "convert", "read_episode", "__version__"]
__version__: str = _episcope.__version__

PathLike = Union[str, "os.PathLike[str]"]


def _path(path: PathLike) -> str:
    return os.fspath(path)


def _optional_path(path: Optional[PathLike]) -> Optional[str]:
    return None if path is None else os.fspath(path)


def info(path: PathLike) -> Dict[str, Any]:
    """The overview of a LeRobot dataset folder (format version, robot type, fps, episodes, frames,
    tasks, features, files), or the description of a recording (its streams and episodes).

    Reads only metadata and parquet footers, never the data.
    """
    return json.loads(_episcope.info_json(_path(path)))


def _shard(shard: Tuple[int, int]) -> Tuple[int, int]:
    k, n = shard
    return int(k), int(n)


def check(
    path: PathLike,
    profile: Optional[PathLike] = None,
    *,
    skip_hashes: bool = False,
    shard: Optional[Tuple[int, int]] = None,
) -> Dict[str, Any]:
    """The conformance report of a dataset (or the readiness report of a recording): the same JSON
    as ``episcope check --json``, with ``summary`` (``verdict``, ``errors``, ``warnings``, ``infos``)
    and ``findings`` (``rule``, ``severity``, ``location``, ``message``, …).

    ``profile`` is a profile TOML file (extra requirements, as ``--profile``).

    With ``shard=(k, n)`` (``0 <= k < n``), only the k-th of n contiguous blocks of the dataset's
    files, data files and videos is checked, and the result is a *part* (the JSON
    ``episcope check --shard k/n --partial`` writes); :func:`merge` of all n parts is the report.
    """
    if shard is not None:
        return json.loads(_episcope.check_partial_json(_path(path), _shard(shard), _optional_path(profile), skip_hashes))
    return json.loads(_episcope.check_json(_path(path), _optional_path(profile), skip_hashes))


def stats(path: PathLike, *, shard: Optional[Tuple[int, int]] = None) -> Dict[str, Any]:
    """Exact statistics over every frame of a dataset, as ``episcope stats --json``: per feature
    dimension count, min, max, mean, std, quantiles and non-finite counts; episode lengths; frames
    and hours per task.

    With ``shard=(k, n)``, the statistics of the k-th of n contiguous blocks of the data files as a
    *part*; :func:`merge` of all n parts gives the statistics of the whole, exactly (quantiles of
    large columns through a sketch, with its bound reported)."""
    if shard is not None:
        return json.loads(_episcope.stats_partial_json(_path(path), _shard(shard)))
    return json.loads(_episcope.stats_json(_path(path)))


def merge(
    parts: Sequence[Dict[str, Any]], *, dataset: Optional[PathLike] = None, as_part: bool = False
) -> Dict[str, Any]:
    """Merges parts from ``check(..., shard=(k, n))`` or ``stats(..., shard=(k, n))`` (in any order and
    grouping) into the report, or the statistics, of the whole dataset: exactly what the unsharded
    call returns. A check's parts are finished against the dataset they were checked on, whose
    metadata is read once more: ``dataset``, or the folder the parts name.

    With ``as_part=True`` the result is one part covering the parts' shards, to merge further
    (the shards need not all be in yet).
    """
    texts = [json.dumps(part) for part in parts]
    return json.loads(_episcope.merge_json(texts, _optional_path(dataset), as_part))


def compare(
    reports: Sequence[Dict[str, Any]], *, html: Optional[PathLike] = None, lang: str = "en"
) -> List[Dict[str, Any]]:
    """Reports (from :func:`check` or :func:`report`, or :func:`merge` of parts) side by side: one row
    per dataset (name, version, robot, episodes, frames, hours, verdict, error/warning counts), as
    ``episcope compare`` shows them; with ``html``, the comparison page written there in ``lang``."""
    texts = [json.dumps(r) for r in reports]
    return json.loads(_episcope.compare_json(texts, _optional_path(html), lang))


def report(
    path: PathLike,
    html: Optional[PathLike] = None,
    lang: str = "en",
    *,
    profile: Optional[PathLike] = None,
    skip_hashes: bool = False,
) -> Dict[str, Any]:
    """The full plain-language report (check, overview, statistics, stored stats) as
    ``episcope report --json`` gives it; with ``html``, also written there as one self-contained
    HTML file in ``lang`` (``"en"`` or ``"ja"``)."""
    return json.loads(
        _episcope.report_json(_path(path), _optional_path(html), lang, _optional_path(profile), skip_hashes)
    )


def convert(
    src: PathLike,
    out: PathLike,
    mapping: Optional[PathLike] = None,
    *,
    chunks_size: Optional[int] = None,
    data_files_size_in_mb: Optional[int] = None,
) -> Dict[str, Any]:
    """Converts a recording (``.mcap``, ``.db3``, ``.bag``, ``.hdf5``, a rosbag2 folder) or a LeRobot
    dataset (any version; re-chunked) into a new LeRobot v3.0 dataset at ``out`` (absent or empty),
    then checks it.

    ``mapping`` is a mapping TOML file (``docs/mapping.md``); without it, the suggested mapping is
    used (and returned as ``mapping``). The dataset is written beside ``out`` and renamed into place
    only when complete, so a failure leaves nothing there. Returns ``episodes``, ``frames``,
    ``tasks``, ``files``, ``bytes_written``, ``notes`` and the checker's ``report`` on the output.
    """
    return json.loads(
        _episcope.convert_json(
            _path(src), _path(out), _optional_path(mapping), chunks_size, data_files_size_in_mb
        )
    )


def read_episode(path: PathLike, index: int, features: Optional[Sequence[str]] = None) -> "pyarrow.Table":
    """Episode ``index`` of a dataset as a ``pyarrow.Table`` of the stored columns and types: every
    column of its data file, or the named ``features`` plus the index columns (``timestamp``,
    ``frame_index``, ``episode_index``, ``index``, ``task_index``). In v3.0 only that episode's rows
    of the shared file are read. The buffers cross through the Arrow C stream interface, not copied.

    Needs ``pyarrow`` (``pip install "episcope[arrow]"``).
    """
    import pyarrow

    names: Optional[List[str]] = None if features is None else [str(f) for f in features]
    stream = _episcope.read_episode_stream(_path(path), int(index), names)
    return pyarrow.table(stream)
