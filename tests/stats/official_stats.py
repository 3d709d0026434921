"""Writes a LeRobot v3.0 dataset with the official writer (PyPI lerobot-dataset, `ledataset`) whose stored
statistics carry the writer's own float32 and float64 rounding at its worst: flat signals far from zero over long
episodes (crates/episcope-cli/tests/official_stats.rs checks it).

Usage: official_stats.py OUT_DIR  (run with .tools/loader-venv/bin/python; offline).

Features: `observation.state` float32[3] = (1000 + 0.5·wobble, 1.56 + 1e-4·wobble, 0.1 + 1e-6·wobble), the same
values as `observation.effort` float64[3]; two episodes of 20 000 and 7 frames. The writer computes each episode's
stats in the feature's dtype (numpy: frame-by-frame float32 sums for float32) and aggregates them into
meta/stats.json. A deterministic xorshift gives the wobble, so the output is the same on every run.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import numpy as np
from ledataset.datasets.lerobot_dataset import LeRobotDataset


def wobble(n: int, seed: int) -> np.ndarray:
    out = np.empty(n, dtype=np.float64)
    state = seed
    for i in range(n):
        state ^= (state << 13) & 0xFFFFFFFFFFFFFFFF
        state ^= state >> 7
        state ^= (state << 17) & 0xFFFFFFFFFFFFFFFF
        out[i] = (state >> 40) / float(1 << 24) - 0.5
    return out


def main(out: Path) -> None:
    features = {
        "observation.state": {"dtype": "float32", "shape": (3,), "names": ["far", "reported", "small"]},
        "observation.effort": {"dtype": "float64", "shape": (3,), "names": ["far", "reported", "small"]},
    }
    ds = LeRobotDataset.create(repo_id="local/official_stats", fps=30, features=features, root=out, use_videos=False)
    for episode, frames in enumerate([20_000, 7]):
        w = wobble(frames, 0x2545F4914F6CDD1D + episode)
        values = np.stack([1000 + 0.5 * w, 1.56 + 1e-4 * w, 0.1 + 1e-6 * w], axis=1)
        state = values.astype(np.float32)
        for i in range(frames):
            ds.add_frame({"observation.state": state[i], "observation.effort": values[i], "task": "hold still"})
        ds.save_episode()
    ds.finalize()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
