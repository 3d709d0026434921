#!/usr/bin/env python3
"""Open a local LeRobot dataset with the OFFICIAL loader and print what it sees, as one JSON object.

Usage: load_official.py DATASET_DIR

Run it with the loader venv's python (`. scripts/ensure-loader.sh`, then "$EPISCOPE_LOADER_PY"). It opens
`LeRobotDataset(repo_id="local/" + dirname, root=DATASET_DIR)` from `ledataset` (PyPI `lerobot-dataset`; falls back
to `lerobot.datasets` if that is what is installed), offline, and prints to stdout exactly one JSON object:

  {"ok": true, "codebase_version", "fps", "num_episodes", "num_frames",
   "episode_lengths": [rows of episode 0, 1, ...]   (counted in the loaded data, by episode_index, ascending),
   "features": [sorted keys of ds.features],
   "first": {feature: [floats]}, "last": {feature: [floats]},
   "image_frames": {image feature: [sha256 of every item's pixels, uint8 HWC]},
   "image_first_pixel": {image feature: item 0's pixel (0, 0)}, "image_shape": {image feature: [C, H, W]}}

`first`/`last` are items 0 and len-1 of the dataset (`ds[i]`, so video frames are decoded too), for every feature
whose dtype is not image/video, flattened to a list of floats (bools as 0.0/1.0, a [3, 4] feature as 12 values;
non-finite values as the strings "nan", "inf", "-inf" so the output stays strict JSON).

On any exception: {"ok": false, "error_type": ..., "error": ...} and exit status 1.

It never touches the network: the Hugging Face offline switches are set before any import, a private temporary
HF_HOME (datasets' Arrow cache) is used and removed, and outgoing INET sockets are refused. Whatever the library
prints goes to stderr; stdout carries only the JSON.
"""
import os
import sys
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
_HF_HOME = tempfile.mkdtemp(prefix="episcope-loader-hf-")
os.environ["HF_HOME"] = _HF_HOME  # fresh datasets cache each run: no stale Arrow cache for a rewritten dataset
os.environ.pop("HF_DATASETS_CACHE", None)
os.environ.pop("HF_LEROBOT_HOME", None)

import hashlib
import importlib
import inspect
import json
import math
import shutil
import socket
import traceback
from collections import Counter
from pathlib import Path


def _no_network(self, address, *args, **kwargs):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        raise OSError(f"load_official.py: network access refused ({address!r})")
    return _real_connect(self, address, *args, **kwargs)


_real_connect = socket.socket.connect
socket.socket.connect = _no_network
socket.socket.connect_ex = _no_network


def import_loader():
    errors = []
    for modname in ("ledataset.datasets.lerobot_dataset", "lerobot.datasets.lerobot_dataset"):
        try:
            return importlib.import_module(modname)
        except ImportError as e:
            errors.append(f"{modname}: {e}")
    raise ImportError("no official LeRobotDataset importable (" + "; ".join(errors) + ")")


def to_floats(value):
    if hasattr(value, "detach"):  # torch.Tensor
        value = value.detach().cpu().numpy()
    if hasattr(value, "tolist"):  # numpy array / scalar
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        value = [value]
    flat = []
    stack = [iter(value)]
    while stack:  # flatten nested lists in order
        try:
            v = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        if isinstance(v, (list, tuple)):
            stack.append(iter(v))
        else:
            flat.append(v)
    out = []
    for v in flat:
        if isinstance(v, str):
            out.append(v)
            continue
        f = float(v)
        out.append(f if math.isfinite(f) else ("nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")))
    return out


def load(root):
    root = Path(root).resolve()
    if not (root / "meta" / "info.json").is_file():
        raise FileNotFoundError(f"not a LeRobot dataset (no meta/info.json): {root}")
    lrd = import_loader()
    LeRobotDataset = lrd.LeRobotDataset
    info = json.loads((root / "meta" / "info.json").read_text())
    has_video = any(f.get("dtype") == "video" for f in info.get("features", {}).values())
    params = inspect.signature(LeRobotDataset.__init__).parameters
    kwargs = dict(repo_id=f"local/{root.name}", root=root)
    if "local_files_only" in params:  # older loaders ask the Hub for the version tag otherwise
        kwargs["local_files_only"] = True
    if has_video and "video_backend" in params:
        kwargs["video_backend"] = "pyav"  # torchcodec is not installed (needs system FFmpeg libs)
    ds = LeRobotDataset(**kwargs)

    features = ds.features
    plain = [k for k, f in features.items() if f.get("dtype") not in ("image", "video")]
    episode_index = ds.hf_dataset.data.column("episode_index").to_pylist()  # raw Arrow column, no transform
    counts = Counter(int(e) for e in episode_index)
    n = len(ds)
    if n == 0:
        raise ValueError("dataset has no frames")

    def pick(i):
        item = ds[i]
        return {k: to_floats(item[k]) for k in plain if k in item}

    # Image features (not videos): every item's pixels as the loader returns them (a float CHW
    # tensor in [0, 1]), back to uint8 HWC, hashed; and item 0's first pixel.
    images = [k for k, f in features.items() if f.get("dtype") == "image"]
    image_frames = {k: [] for k in images}
    image_first_pixel = {}
    image_shape = {}
    for i in range(n if images else 0):
        item = ds[i]
        for k in images:
            hwc = (item[k] * 255).round().clamp(0, 255).to(dtype=__import__("torch").uint8).permute(1, 2, 0).contiguous()
            image_frames[k].append(hashlib.sha256(hwc.numpy().tobytes()).hexdigest())
            if i == 0:
                image_first_pixel[k] = hwc[0, 0].tolist()
                image_shape[k] = list(item[k].shape)

    return {
        "codebase_version": ds.meta.info.get("codebase_version"),
        "fps": ds.fps,
        "num_episodes": ds.num_episodes,
        "num_frames": ds.num_frames,
        "episode_lengths": [counts[e] for e in sorted(counts)],
        "features": sorted(features),
        "first": pick(0),
        "last": pick(n - 1),
        "image_frames": image_frames,
        "image_first_pixel": image_first_pixel,
        "image_shape": image_shape,
        "ok": True,
    }


def main():
    # Keep stdout for the JSON alone: anything the library (or native code) writes to fd 1 goes to stderr.
    sys.stdout.flush()
    json_fd = os.dup(1)
    os.dup2(2, 1)
    code = 0
    try:
        if len(sys.argv) != 2:
            raise SystemExit("usage: load_official.py DATASET_DIR")
        result = load(sys.argv[1])
    except BaseException as e:  # noqa: BLE001 - report every failure as JSON
        if isinstance(e, KeyboardInterrupt):
            raise
        traceback.print_exc(file=sys.stderr)
        result = {"ok": False, "error_type": type(e).__name__, "error": str(e)}
        code = 1
    finally:
        shutil.rmtree(_HF_HOME, ignore_errors=True)
    sys.stdout.flush()
    with os.fdopen(json_fd, "w") as out:
        out.write(json.dumps(result, allow_nan=False) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
