"""Writes the recording benchmark's inputs with the independent mcap + mcap-ros2-support writers:

    big.mcap     about 1 GiB: /joint_states (sensor_msgs/msg/JointState, 7 joints, 100 Hz) and
                 /camera/image_raw (sensor_msgs/msg/Image, 640x480 rgb8 noise, 30 Hz) for 40 s,
                 zstd chunks of 1 MiB (the ros2 writer's default), with a summary.
    joints.mcap  100 000 JointState messages (7 joints, 100 Hz), the decoding benchmark's input.

Usage: python make_big_mcap.py OUT_DIR. Deterministic (seeded noise, fixed times).
"""

import math
import sys
from pathlib import Path

import numpy as np
from mcap.writer import CompressionType
from mcap_ros2.writer import Writer as Ros2Writer

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests/recordings"))
from make_defects import IMAGE_DEF, IMAGE_TYPE  # noqa: E402
from make_mcap import JOINT_DEF, JOINT_TYPE  # noqa: E402

T0 = 1_700_000_000_000_000_000
JOINTS = [f"joint{k}" for k in range(1, 8)]


def joint(i):
    t = T0 + i * 10_000_000
    return t, {
        "header": {"stamp": {"sec": t // 10**9, "nanosec": t % 10**9}, "frame_id": "base_link"},
        "name": JOINTS,
        "position": [math.sin(i * 0.01 + k) for k in range(7)],
        "velocity": [math.cos(i * 0.01 + k) for k in range(7)],
        "effort": [0.1] * 7,
    }


def write_big(path, seconds=40):
    rng = np.random.default_rng(0)
    events = [(T0 + i * 10_000_000, 0, i) for i in range(seconds * 100)]
    events += [(T0 + 5_000_000 + i * 33_333_333, 1, i) for i in range(seconds * 30)]
    events.sort()
    with open(path, "wb") as f:
        w = Ros2Writer(f, compression=CompressionType.ZSTD)
        js = w.register_msgdef(JOINT_TYPE, JOINT_DEF)
        im = w.register_msgdef(IMAGE_TYPE, IMAGE_DEF)
        for t, which, i in events:
            if which == 0:
                _, m = joint(i)
                w.write_message("/joint_states", js, m, log_time=t, publish_time=t, sequence=i)
            else:
                m = {
                    "header": {"stamp": {"sec": t // 10**9, "nanosec": t % 10**9}, "frame_id": "camera"},
                    "height": 480,
                    "width": 640,
                    "encoding": "rgb8",
                    "is_bigendian": 0,
                    "step": 1920,
                    "data": rng.integers(0, 256, 640 * 480 * 3, dtype=np.uint8).tobytes(),
                }
                w.write_message("/camera/image_raw", im, m, log_time=t, publish_time=t, sequence=i)
        w.finish()


def write_joints(path, n=100_000):
    with open(path, "wb") as f:
        w = Ros2Writer(f, compression=CompressionType.ZSTD)
        js = w.register_msgdef(JOINT_TYPE, JOINT_DEF)
        for i in range(n):
            t, m = joint(i)
            w.write_message("/joint_states", js, m, log_time=t, publish_time=t, sequence=i)
        w.finish()


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "joints.mcap").exists():
        write_joints(out / "joints.mcap")
    if not (out / "big.mcap").exists():
        write_big(out / "big.mcap")
