"""Converts a LeRobot v2.1 dataset with LeRobot's own converter and compares the result with ours.

Usage: compare_official.py SOURCE_V21_DIR OURS_V30_DIR WORK_DIR

Runs `convert_dataset_v21_to_v30.convert_dataset` of the official package (lerobot-dataset, import
`ledataset`; offline, `push_to_hub=False`) on a copy of SOURCE in WORK_DIR, then compares the two
v3.0 datasets with pyarrow only (none of Episcope's code):

- info.json: version, fps, totals, robot type, layout, every feature's dtype, shape and names;
- tasks: the same task → task_index;
- data: every column of the official output is in ours with the same Arrow type and the same
  values, row by row (rows ordered by `index`);
- episodes: per episode the same length, tasks, dataset_from/to_index, data file, and every
  camera's duration (to_timestamp − from_timestamp; the official converter concatenates the
  episodes' mp4 files, we keep one file per episode, which v3.0 allows); every `stats/…` column
  of the official output is in ours and equal within the checker's relative tolerance (1e-5);
- stats.json: every feature and statistic of the official output is in ours, equal within it.

Prints one JSON object: `differences` (empty when equal), `compared` (what was compared, counts),
`max_relative_stats_difference`, `only_ours` (what we add: e.g. quantiles) and `type_notes`; or
`{"official_failed": "<exception>"}` when the official converter raises. Exit 0 either way.

Statistics are compared within 1e-5 of max(|value|, the feature's max(|min|, |max|)): the
official converter keeps the v2.1 per-episode stats, computed by LeRobot in float32, whose
rounding follows the magnitude of the values summed (a mean of 0.78 over values up to 45 may be
off by 8e-6); ours are recomputed in f64 from every value.
"""

from __future__ import annotations

import contextlib
import glob
import json
import math
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

RELATIVE_TOLERANCE = 1e-5
ABSOLUTE_TOLERANCE = 1e-7


def official_convert(source: Path, work: Path) -> Path:
    from ledataset.datasets.v30.convert_dataset_v21_to_v30 import convert_dataset

    root = work / "official"
    if root.exists():
        shutil.rmtree(root)
    (root / "local").mkdir(parents=True)
    shutil.copytree(source, root / "local" / source.name)
    convert_dataset(f"local/{source.name}", root=str(root), push_to_hub=False, force_conversion=True)
    return root / "local" / source.name


def read_all(pattern: str) -> pa.Table:
    files = sorted(glob.glob(pattern, recursive=True))
    return pa.concat_tables([pq.read_table(f) for f in files]) if files else pa.table({})


def flat_numbers(value) -> list:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in flat_numbers(v)]
    return [value]


def shape(value) -> tuple:
    """The nesting of a list value: (3, 1, 1) for LeRobot's per-channel image stats."""
    if isinstance(value, (list, tuple)):
        return (len(value),) + (shape(value[0]) if value else ())
    return ()


def close(a, b, scale_of=None) -> tuple[bool, float]:
    """Equal within RELATIVE_TOLERANCE of the larger of the two values and, per element, of
    `scale_of` (the feature's largest |min|, |max| there): LeRobot sums float32 values, so a mean's
    rounding error follows the magnitude of the values summed, not of the mean itself. The shapes must
    be the same too (per-channel stats are (channels, 1, 1), to broadcast over an image)."""
    if shape(a) != shape(b):
        return False, math.inf
    a, b = flat_numbers(a), flat_numbers(b)
    scales = flat_numbers(scale_of) if scale_of is not None else [0.0] * len(a)
    if len(a) != len(b) or len(scales) != len(a):
        return False, math.inf
    worst = 0.0
    for x, y, extra in zip(a, b, scales):
        if x is None or y is None:
            if x is not y:
                return False, math.inf
            continue
        x, y = float(x), float(y)
        if math.isnan(x) and math.isnan(y):
            continue
        diff = abs(x - y)
        scale = max(abs(x), abs(y), abs(float(extra or 0.0)))
        if diff > RELATIVE_TOLERANCE * scale + ABSOLUTE_TOLERANCE:
            return False, diff / scale if scale else math.inf
        if scale:
            worst = max(worst, diff / scale)
    return True, worst


def scale_of(stats: dict, key: str):
    """The per-element magnitude of the values a mean or std was computed over: max(|min|, |max|)
    from the same stats (`stats/<f>/mean` beside `stats/<f>/min` in an episode row, `mean` beside
    `min` in stats.json), or None for other statistics."""
    prefix, _, stat = key.rpartition("/")
    if stat not in ("mean", "std"):
        return None
    lo = stats.get(f"{prefix}/min" if prefix else "min")
    hi = stats.get(f"{prefix}/max" if prefix else "max")
    if lo is None or hi is None:
        return None
    lo, hi = flat_numbers(lo), flat_numbers(hi)
    if len(lo) != len(hi):
        return None
    return [max(abs(float(x)), abs(float(y))) for x, y in zip(lo, hi)]


def tasks_of(dataset: Path) -> dict:
    table = pq.read_table(dataset / "meta" / "tasks.parquet")
    name = "task" if "task" in table.column_names else "__index_level_0__"
    return dict(zip(table[name].to_pylist(), table["task_index"].to_pylist()))


def compare(official: Path, ours: Path) -> dict:
    differences: list[str] = []
    compared: dict[str, int] = {}
    only_ours: list[str] = []
    type_notes: list[str] = []
    worst = 0.0

    info_o = json.loads((official / "meta" / "info.json").read_text())
    info_e = json.loads((ours / "meta" / "info.json").read_text())
    for key in ["codebase_version", "robot_type", "fps", "total_episodes", "total_frames", "total_tasks",
                "chunks_size", "data_files_size_in_mb", "data_path", "video_path", "splits"]:
        if info_o.get(key) != info_e.get(key):
            differences.append(f"info.json {key}: official {info_o.get(key)!r}, ours {info_e.get(key)!r}")
    for name, feature in info_o["features"].items():
        mine = info_e["features"].get(name)
        if mine is None:
            differences.append(f"info.json feature {name} missing")
            continue
        for key in ["dtype", "shape", "names"]:
            if feature.get(key) != mine.get(key) and not (key == "shape" and list(feature[key]) == list(mine.get(key, []))):
                differences.append(f"info.json {name}.{key}: official {feature.get(key)!r}, ours {mine.get(key)!r}")
    compared["features"] = len(info_o["features"])

    if tasks_of(official) != tasks_of(ours):
        differences.append(f"tasks: official {tasks_of(official)}, ours {tasks_of(ours)}")
    compared["tasks"] = len(tasks_of(official))

    data_o = read_all(str(official / "data" / "**" / "*.parquet"))
    data_e = read_all(str(ours / "data" / "**" / "*.parquet"))
    data_o = data_o.take(pc.sort_indices(data_o["index"]))
    data_e = data_e.take(pc.sort_indices(data_e["index"]))
    if data_o.num_rows != data_e.num_rows:
        differences.append(f"data rows: official {data_o.num_rows}, ours {data_e.num_rows}")
    else:
        for column in data_o.column_names:
            if column not in data_e.column_names:
                differences.append(f"data column {column} missing")
                continue
            a, b = data_o[column].combine_chunks(), data_e[column].combine_chunks()
            if a.type != b.type:
                # The official converter goes through pandas, which turns the v2.1 source's
                # fixed_size_list<float>[n] into list<float>; we keep the source's type (as the
                # official v3.0 writer writes it). Both load; the values must still be equal.
                if pa.types.is_fixed_size_list(b.type) and pa.types.is_list(a.type) and a.type.value_type == b.type.value_type:
                    type_notes.append(f"{column}: official {a.type}, ours {b.type} (the source's)")
                    a = a.cast(b.type)
                else:
                    differences.append(f"data column {column}: official type {a.type}, ours {b.type}")
                    continue
            if not a.equals(b):
                differences.append(f"data column {column}: values differ")
        compared["data_values"] = data_o.num_rows * data_o.num_columns

    episodes_o = {r["episode_index"]: r for r in read_all(str(official / "meta" / "episodes" / "**" / "*.parquet")).to_pylist()}
    episodes_e = {r["episode_index"]: r for r in read_all(str(ours / "meta" / "episodes" / "**" / "*.parquet")).to_pylist()}
    if sorted(episodes_o) != sorted(episodes_e):
        differences.append(f"episodes: official {sorted(episodes_o)}, ours {sorted(episodes_e)}")
    stats_columns = 0
    for index, row_o in episodes_o.items():
        row_e = episodes_e.get(index)
        if row_e is None:
            continue
        for key in ["length", "tasks", "dataset_from_index", "dataset_to_index", "data/chunk_index", "data/file_index"]:
            if key in row_o and row_o[key] != row_e.get(key):
                differences.append(f"episode {index} {key}: official {row_o[key]!r}, ours {row_e.get(key)!r}")
        fps = info_o["fps"]
        for key in row_o:
            if key.startswith("videos/") and key.endswith("/from_timestamp"):
                camera = key[len("videos/"):-len("/from_timestamp")]
                to = f"videos/{camera}/to_timestamp"
                duration_o = row_o[to] - row_o[key]
                duration_e = row_e[to] - row_e[key]
                if abs(duration_o - duration_e) > 0.5 / fps:
                    differences.append(f"episode {index} {camera} duration: official {duration_o}, ours {duration_e}")
            if key.startswith("stats/"):
                if key not in row_e:
                    differences.append(f"episode {index} {key} missing")
                    continue
                ok, relative = close(row_o[key], row_e[key], scale_of(row_o, key))
                stats_columns += 1
                if not ok:
                    differences.append(f"episode {index} {key}: official {row_o[key]}, ours {row_e[key]}")
                else:
                    worst = max(worst, relative)
        only_ours.extend(sorted(k for k in row_e if k not in row_o and index == min(episodes_o)))
    compared["episodes"] = len(episodes_o)
    compared["episode_stats_values"] = stats_columns

    stats_o = json.loads((official / "meta" / "stats.json").read_text())
    stats_e = json.loads((ours / "meta" / "stats.json").read_text())
    count = 0
    for feature, values in stats_o.items():
        mine = stats_e.get(feature)
        if mine is None:
            differences.append(f"stats.json {feature} missing")
            continue
        for stat, value in values.items():
            if stat not in mine:
                differences.append(f"stats.json {feature}.{stat} missing")
                continue
            ok, relative = close(value, mine[stat], scale_of(values, stat))
            count += 1
            if not ok:
                differences.append(f"stats.json {feature}.{stat}: official {value}, ours {mine[stat]}")
            else:
                worst = max(worst, relative)
    compared["global_stats"] = count
    return {"differences": differences, "compared": compared, "max_relative_stats_difference": worst,
            "only_ours": only_ours, "type_notes": type_notes}


def main() -> None:
    source, ours, work = (Path(a) for a in sys.argv[1:4])
    # The converter prints as it goes: keep stdout for the one JSON answer.
    try:
        with contextlib.redirect_stdout(sys.stderr):
            official = official_convert(source, work)
    except Exception as e:  # the official converter's own failure is an answer, not a crash
        print(json.dumps({"official_failed": f"{type(e).__name__}: {e}"}))
        return
    print(json.dumps(compare(official, ours), indent=1))


if __name__ == "__main__":
    main()
