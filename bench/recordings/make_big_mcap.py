"""Writes the recording benchmark's inputs with the independent mcap + mcap-ros2-support writers:

    big.mcap     about 1 GiB: /joint_states (sensor_msgs/msg/JointState, 7 joints, 100 Hz) and
                 /camera/image_raw (sensor_msgs/msg/Image, 640x480 rgb8 noise, 30 Hz) for 40 s,
                 zstd chunks of 1 MiB (the ros2 writer's default), with a summary.
    joints.mcap  100 000 JointState messages (7 joints, 100 Hz), the decoding benchmark's input.
    convert.mcap about 1 GB, the conversion benchmark's input (BENCHMARKS.md): /joint_states
                 (7 joints, 500 Hz), /leader/joint_states (7 joints, 100 Hz, the action), two cameras
                 /camera/front/image_raw and /camera/wrist/image_raw (sensor_msgs/msg/Image, 640x480
                 rgb8, a smooth moving pattern, 30 Hz) for 18 s, uncompressed chunks (rosbag2's
                 default for MCAP).
    convert-joints.mcap  the same joint streams without the cameras (for forge-robotics, which
                 cannot leave a bag's cameras out).

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


def rgb8_image(t, frame_id, data):
    """A 640x480 rgb8 sensor_msgs/Image at time `t`."""
    return {
        "header": {"stamp": {"sec": t // 10**9, "nanosec": t % 10**9}, "frame_id": frame_id},
        "height": 480,
        "width": 640,
        "encoding": "rgb8",
        "is_bigendian": 0,
        "step": 1920,
        "data": data,
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
                m = rgb8_image(t, "camera", rng.integers(0, 256, 640 * 480 * 3, dtype=np.uint8).tobytes())
                w.write_message("/camera/image_raw", im, m, log_time=t, publish_time=t, sequence=i)
        w.finish()


def leader(i, hz):
    t = T0 + i * (10**9 // hz)
    return t, {
        "header": {"stamp": {"sec": t // 10**9, "nanosec": t % 10**9}, "frame_id": "leader"},
        "name": JOINTS,
        "position": [math.sin(i * 5 / hz + k + 0.05) for k in range(7)],
        "velocity": [],
        "effort": [],
    }


def camera_frame(i, shift):
    yy, xx = np.mgrid[0:480, 0:640].astype(np.int32)
    t = i * 4 + shift
    rgb = np.stack([(xx + t) % 256, (yy + 2 * t) % 256, ((xx + yy) // 2 + 3 * t) % 256], axis=-1)
    return rgb.astype(np.uint8).tobytes()


def write_convert_bench(path, seconds=18, cameras=True):
    """`cameras=False`: the same joint streams alone (convert-joints.mcap), for a peer that cannot leave
    cameras out."""
    events = [(T0 + i * 2_000_000, 0, i) for i in range(seconds * 500)]
    events += [(T0 + 1_000_000 + i * 10_000_000, 1, i) for i in range(seconds * 100)]
    if cameras:
        events += [(T0 + 5_000_000 + i * 33_333_333, 2, i) for i in range(seconds * 30)]
        events += [(T0 + 6_000_000 + i * 33_333_333, 3, i) for i in range(seconds * 30)]
    events.sort()
    with open(path, "wb") as f:
        w = Ros2Writer(f, compression=CompressionType.NONE)
        js = w.register_msgdef(JOINT_TYPE, JOINT_DEF)
        im = w.register_msgdef(IMAGE_TYPE, IMAGE_DEF)
        cameras = {2: ("/camera/front/image_raw", 0), 3: ("/camera/wrist/image_raw", 97)}
        for t, which, i in events:
            if which == 0:
                m = {
                    "header": {"stamp": {"sec": t // 10**9, "nanosec": t % 10**9}, "frame_id": "base_link"},
                    "name": JOINTS,
                    "position": [math.sin(i * 0.002 + k) for k in range(7)],
                    "velocity": [math.cos(i * 0.002 + k) for k in range(7)],
                    "effort": [0.1] * 7,
                }
                w.write_message("/joint_states", js, m, log_time=t, publish_time=t, sequence=i)
            elif which == 1:
                _, m = leader(i, 100)
                w.write_message("/leader/joint_states", js, m, log_time=t, publish_time=t, sequence=i)
            else:
                topic, shift = cameras[which]
                m = rgb8_image(t, topic, camera_frame(i, shift))
                w.write_message(topic, im, m, log_time=t, publish_time=t, sequence=i)
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
    if not (out / "convert.mcap").exists():
        write_convert_bench(out / "convert.mcap")
    if not (out / "convert-joints.mcap").exists():
        write_convert_bench(out / "convert-joints.mcap", cameras=False)
