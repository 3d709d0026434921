"""Writes the HDF5 recording fixtures (ALOHA/ACT, robomimic, generic) with h5py, plus expected.json.

Run: /work/main/.tools/venv/bin/python tests/recordings/make_hdf5.py
Run: ... make_hdf5.py [OUT_DIR]; OUT_DIR defaults to crates/episcope-core/tests/fixtures/recordings/hdf5/
"""

import hashlib
import json
import os
import sys

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "crates", "episcope-core", "tests", "fixtures", "recordings", "hdf5")


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def aloha(path):
    t = np.arange(50, dtype=np.float64)[:, None]
    j = np.arange(14, dtype=np.float64)[None, :]
    qpos = np.sin(t * 0.1 + j * 0.5) + j * 0.01
    qvel = np.cos(t * 0.2 - j) * 0.5
    action = qpos + 0.001 * (t - j)
    tt, yy, xx, cc = np.meshgrid(np.arange(50), np.arange(24), np.arange(32), np.arange(3), indexing="ij")
    img = ((tt * 7 + yy * 3 + xx * 5 + cc * 11) % 256).astype(np.uint8)
    with h5py.File(path, "w", track_order=False) as f:
        f.attrs["sim"] = True
        obs = f.create_group("observations", track_order=False)
        kw = dict(chunks=(10, 14), compression="gzip", compression_opts=4, track_times=False)
        obs.create_dataset("qpos", data=qpos, **kw)
        obs.create_dataset("qvel", data=qvel, **kw)
        imgs = obs.create_group("images")
        imgs.create_dataset("cam_high", data=img, chunks=(1, 24, 32, 3), compression="gzip", track_times=False)
        f.create_dataset("action", data=action, **kw)
    return {
        "layout": "hdf5_aloha",
        "frames": 50,
        "qpos": qpos.flatten().tolist(),
        "qvel_sha256": sha(qvel),
        "qvel_first_row": qvel[0].tolist(),
        "action_last_row": action[-1].tolist(),
        "image_path": "/observations/images/cam_high",
        "image_shape": [50, 24, 32, 3],
        "image_frame_7_sha256": sha(img[7]),
        "image_frame_7_first_pixel": img[7, 0, 0].tolist(),
        "image_frame_0_first_pixel": img[0, 0, 0].tolist(),
    }


def robomimic(path):
    out = {"layout": "hdf5_robomimic", "demos": {}}
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        data.attrs["env_args"] = json.dumps({"env_name": "Lift", "type": 1})
        data.attrs["total"] = 50
        for i, n in enumerate([30, 20]):
            d = data.create_group(f"demo_{i}")
            d.attrs["num_samples"] = n
            k = np.arange(n, dtype=np.float64)[:, None]
            eef = np.concatenate([k * 0.01 + i, k * -0.02, np.full((n, 1), 0.5 + i)], axis=1)
            actions = (np.arange(n * 7, dtype=np.float32).reshape(n, 7) / 7.0 - i).astype(np.float32)
            rewards = (np.arange(n) == n - 1).astype(np.float64)
            dones = (np.arange(n) == n - 1).astype(np.int64)
            obs = d.create_group("obs")
            obs.create_dataset("robot0_eef_pos", data=eef, track_times=False)
            d.create_dataset("actions", data=actions, track_times=False)
            d.create_dataset("rewards", data=rewards, track_times=False)
            d.create_dataset("dones", data=dones, track_times=False)
            out["demos"][f"demo_{i}"] = {
                "frames": n,
                "eef": eef.flatten().tolist(),
                # float32 values widened to f64 exactly
                "actions": [float(x) for x in actions.flatten()],
                "rewards": rewards.tolist(),
                "dones": dones.tolist(),
            }
    return out


def generic(path):
    a = (np.arange(60, dtype=np.int16) * 37 - 1000).reshape(3, 4, 5)
    b = np.linspace(-1.0, 1.0, 16, dtype=np.float32)
    c = np.arange(100, dtype=np.float32).reshape(25, 4) * 0.25
    with h5py.File(path, "w") as f:
        g = f.create_group("sensors/imu")
        g.attrs["rate_hz"] = 100.0
        g.create_dataset("counts", data=a, track_times=False)
        f.create_dataset("top", data=b, track_times=False)
        f.create_group("logs").create_dataset("table", data=c, chunks=(5, 4), compression="gzip", track_times=False)
    return {
        "layout": "hdf5",
        "datasets": {
            "/logs/table": {"dtype": "float32", "shape": [25, 4], "chunked": True},
            "/sensors/imu/counts": {"dtype": "int16", "shape": [3, 4, 5], "chunked": False},
            "/top": {"dtype": "float32", "shape": [16], "chunked": False},
        },
        "counts": a.flatten().tolist(),
        "top": [float(x) for x in b],
        "table_sha256": sha(c),
    }


def main():
    # Optional argv[1]: the output dir (like make_rosbag1.py / make_rosbag2.py); default unchanged.
    global OUT
    if len(sys.argv) > 1:
        OUT = sys.argv[1]
    os.makedirs(OUT, exist_ok=True)
    expected = {
        "episode_0.hdf5": aloha(os.path.join(OUT, "episode_0.hdf5")),
        "robomimic.hdf5": robomimic(os.path.join(OUT, "robomimic.hdf5")),
        "generic.hdf5": generic(os.path.join(OUT, "generic.hdf5")),
        "writer": f"h5py {h5py.__version__}, numpy {np.__version__}",
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
