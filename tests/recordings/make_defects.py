"""Writes one MCAP per recording readiness rule (`recording.*`), each breaking that rule, plus a clean one,
with the independent `mcap` + `mcap-ros2-support` writers; and expected.json beside them: the findings each
must give, as [rule, stream, count].

Usage (from the repo root):
    . scripts/ensure-python.sh
    "$EPISCOPE_PY" tests/recordings/make_defects.py [OUT_DIR]

OUT_DIR defaults to `crates/episcope-core/tests/fixtures/recordings/defects`. Deterministic.
Every fixture holds `/joint_states` (sensor_msgs/msg/JointState, 100 Hz, 3 s, header stamps = log time)
unless its defect is in that stream; some add `/camera/image_raw` (sensor_msgs/msg/Image, 4x4 rgb8, 10 Hz).
"""

import json
import math
import sys
from pathlib import Path

from mcap.writer import CompressionType
from mcap.writer import Writer as McapWriter
from mcap_ros2._dynamic import serialize_dynamic

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_mcap import HEADER, JOINT_DEF, JOINT_TYPE, SEP, TIME  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "crates/episcope-core/tests/fixtures/recordings/defects"
T0 = 1_700_000_000_000_000_000
MS = 1_000_000
JOINTS = "/joint_states"
CAMERA = "/camera/image_raw"
CMD = "/cmd"

IMAGE = """std_msgs/Header header
uint32 height
uint32 width
string encoding
uint8 is_bigendian
uint32 step
uint8[] data
"""
IMAGE_TYPE = "sensor_msgs/msg/Image"
IMAGE_DEF = IMAGE + f"{SEP}\nMSG: std_msgs/Header\n{HEADER}{SEP}\nMSG: builtin_interfaces/Time\n{TIME}"
VECTOR_TYPE = "geometry_msgs/msg/Vector3"
VECTOR_DEF = "float64 x\nfloat64 y\nfloat64 z\n"


def stamp(t):
    return {"sec": t // 10**9, "nanosec": t % 10**9}


def joint(i, t, stamp_ns=None, position=None):
    return {
        "header": {"stamp": stamp(t if stamp_ns is None else stamp_ns), "frame_id": "base_link"},
        "name": ["shoulder", "elbow", "wrist"],
        "position": position if position is not None else [round(math.sin(i * 0.05 + k), 6) for k in range(3)],
        "velocity": [0.01 * i, -0.01 * i, 0.0],
        "effort": [],
    }


def image(i, t):
    return {
        "header": {"stamp": stamp(t), "frame_id": "camera"},
        "height": 4,
        "width": 4,
        "encoding": "rgb8",
        "is_bigendian": 0,
        "step": 12,
        "data": bytes((i * 7 + k) % 256 for k in range(48)),
    }


def joints(times, **kw):
    """(topic, time, message) of /joint_states at the given times."""
    return [(JOINTS, t, joint(i, t, **{k: v(i, t) for k, v in kw.items()})) for i, t in enumerate(times)]


def every(period_ms, seconds, start_ms=0):
    n = int(round(seconds * 1000 / period_ms))
    return [T0 + (start_ms + i * period_ms) * MS for i in range(n)]


def cameras(times):
    return [(CAMERA, t, image(i, t)) for i, t in enumerate(times)]


def fixtures():
    """name -> (messages, extra empty channels, raw bad messages, expected findings)."""
    joint_times = every(10, 3)
    out = {}
    out["clean.mcap"] = (joints(joint_times) + cameras(every(100, 3, start_ms=5)), [], [], [])
    gapped = [t for i, t in enumerate(joint_times) if not 100 <= i < 140]
    out["gap.mcap"] = (joints(gapped), [], [], [["recording.gap", JOINTS, 1]])
    # A camera over a joint gap: the frames inside it have no joint sample nearby (and the gap itself).
    out["camera_unsynced.mcap"] = (
        joints(gapped) + cameras(every(100, 3, start_ms=5)),
        [],
        [],
        [["recording.gap", JOINTS, 1], ["recording.camera-unsynced", CAMERA, 1]],
    )
    # Intervals cycling 4, 10, 16, 10 ms: a 10 ms rate on average and at the median, half the
    # intervals 60% off it (no gap: none longer than 3 periods).
    jittered = [T0 + (i // 4 * 40 + [0, 4, 14, 30][i % 4]) * MS for i in range(300)]
    out["rate_jitter.mcap"] = (joints(jittered), [], [], [["recording.rate-jitter", JOINTS, 1]])
    # /cmd (10 Hz) only during the first 0.5 s of a 3 s episode.
    cmds = [(CMD, t, {"x": 0.1 * i, "y": 0.0, "z": 1.0 - 0.1 * i}) for i, t in enumerate(every(100, 0.5))]
    out["stops_early.mcap"] = (joints(joint_times) + cmds, [], [], [["recording.stops-early", CMD, 1]])
    out["stamp_offset.mcap"] = (
        joints(joint_times, stamp_ns=lambda i, t: t - 2_000_000_000),
        [],
        [],
        [["recording.stamp-offset", JOINTS, 1]],
    )
    # The header clock steps 0.8 s ahead at message 150 (and stays there).
    out["clock_jump.mcap"] = (
        joints(joint_times, stamp_ns=lambda i, t: t + (800 * MS if i >= 150 else 0)),
        [],
        [],
        [["recording.clock-jump", JOINTS, 1]],
    )
    out["non_finite.mcap"] = (
        joints(joint_times, position=lambda i, t: [math.nan if i == 7 else 0.5, math.sin(i * 0.05), math.inf if i == 9 else 0.1 * i]),
        [],
        [],
        [["recording.non-finite", JOINTS + " shoulder", 1], ["recording.non-finite", JOINTS + " wrist", 1]],
    )
    out["constant.mcap"] = (
        [(JOINTS, t, {**joint(0, T0), "header": {"stamp": stamp(T0), "frame_id": "base_link"}}) for t in joint_times],
        [],
        [],
        # The header stamp is constant too, so it drifts from the log time: far (> 1 s) for the last
        # 2 s, and stepping against the log time never (0.01 s per message).
        [["recording.constant-stream", JOINTS, 1], ["recording.stamp-offset", JOINTS, 1]],
    )
    out["empty_stream.mcap"] = (joints(joint_times), [(GRIPPER, VECTOR_TYPE)], [], [["recording.empty-stream", GRIPPER, 1]])
    # /cmd declared as Vector3 (24 bytes) but its payloads are 6 bytes.
    bad = [(CMD, t, b"\x00\x01\x00\x00\x01\x02") for t in every(100, 3)]
    out["undecodable.mcap"] = (joints(joint_times), [], bad, [["recording.undecodable", CMD, 1]])
    return out


GRIPPER = "/gripper/command"
SCHEMAS = {
    JOINTS: (JOINT_TYPE, JOINT_DEF),
    CAMERA: (IMAGE_TYPE, IMAGE_DEF),
    CMD: (VECTOR_TYPE, VECTOR_DEF),
    GRIPPER: (VECTOR_TYPE, VECTOR_DEF),
}


def write(path, messages, empty_channels, raw, compression=CompressionType.ZSTD):
    with open(path, "wb") as f:
        w = McapWriter(f, chunk_size=64 * 1024, compression=compression)
        w.start(profile="ros2", library="episcope fixtures (mcap python writer)")
        channels = {}
        encoders = {}
        topics = sorted({m[0] for m in messages + raw} | {c[0] for c in empty_channels})
        for topic in topics:
            msg_type, definition = SCHEMAS[topic]
            schema = w.register_schema(msg_type, "ros2msg", definition.encode())
            channels[topic] = w.register_channel(topic, "cdr", schema)
            encoders[topic] = serialize_dynamic(msg_type, definition)[msg_type]
        records = [(t, topic, encoders[topic](m)) for topic, t, m in messages] + [(t, topic, data) for topic, t, data in raw]
        records.sort(key=lambda r: (r[0], r[1]))
        sequence = {}
        for t, topic, data in records:
            sequence[topic] = sequence.get(topic, 0) + 1
            w.add_message(channels[topic], log_time=t, publish_time=t, data=data, sequence=sequence[topic])
        w.finish()


def main():
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    out_dir.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (messages, empty, raw, findings) in fixtures().items():
        write(out_dir / name, messages, empty, raw)
        expected[name] = sorted(findings)
    # A truncated copy of the clean file (no footer, cut inside a chunk).
    clean = (out_dir / "clean.mcap").read_bytes()
    (out_dir / "truncated.mcap").write_bytes(clean[: len(clean) // 2])
    expected["truncated.mcap"] = [["recording.unreadable", None, 1]]
    # Uncompressed chunks, one payload byte flipped: the chunk's CRC-32 no longer matches.
    messages, empty, raw, _ = fixtures()["clean.mcap"]
    write(out_dir / "bad_crc.mcap", messages, empty, raw, compression=CompressionType.NONE)
    data = bytearray((out_dir / "bad_crc.mcap").read_bytes())
    at = data.index(b"base_link")
    data[at] = ord("B")
    (out_dir / "bad_crc.mcap").write_bytes(bytes(data))
    expected["bad_crc.mcap"] = [["recording.unreadable", None, 1]]
    (out_dir / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
