"""Writes the ROS 1 bag (v2.0) fixtures of `crates/episcope-core/tests/recordings_rosbag1.rs`.

An independent writer: `rosbags.rosbag1.Writer` and rosbags' typestore `serialize_ros1` (pinned in
`tests/recordings/requirements.txt`), never Episcope's own code. Deterministic: same bytes every run.

Usage (from the repo root):
    . scripts/ensure-python.sh
    "$EPISCOPE_PY" tests/recordings/make_rosbag1.py [OUT_DIR]

OUT_DIR defaults to `crates/episcope-core/tests/fixtures/recordings/rosbag1`; it gets one `.bag` per
case and `expected.json` (per bag: connections with id, topic, type, the sha256 of the message
definition, message count, first/last time and the first message's bytes in hex; chunk count; bag
start/end time; and a sha256 over every message in time order).
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np
from rosbags.rosbag1 import Writer
from rosbags.typesys import Stores, get_typestore

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / 'crates/episcope-core/tests/fixtures/recordings/rosbag1'

T0_NS = 1_700_000_000 * 10**9 + 250_000_000
JOINTS = ['shoulder', 'elbow', 'wrist']

TS = get_typestore(Stores.ROS1_NOETIC)
JointState = TS.types['sensor_msgs/msg/JointState']
Header = TS.types['std_msgs/msg/Header']
Time = TS.types['builtin_interfaces/msg/Time']
Float64MultiArray = TS.types['std_msgs/msg/Float64MultiArray']
MultiArrayLayout = TS.types['std_msgs/msg/MultiArrayLayout']
MultiArrayDimension = TS.types['std_msgs/msg/MultiArrayDimension']


def joint_state(i: int, t_ns: int) -> bytes:
    t = i / 100.0
    msg = JointState(
        header=Header(seq=i, stamp=Time(sec=t_ns // 10**9, nanosec=t_ns % 10**9), frame_id='base_link'),
        name=list(JOINTS),
        position=np.array([np.sin(t), np.cos(t), 0.5 * t], dtype=np.float64),
        velocity=np.array([np.cos(t), -np.sin(t), 0.5], dtype=np.float64),
        effort=np.array([0.1 * i, -0.1 * i, 0.0], dtype=np.float64),
    )
    return bytes(TS.serialize_ros1(msg, JointState.__msgtype__))


def command(i: int) -> bytes:
    msg = Float64MultiArray(
        layout=MultiArrayLayout(
            dim=[MultiArrayDimension(label='joint', size=3, stride=3)],
            data_offset=0,
        ),
        data=np.array([0.01 * i, 0.02 * i, -0.03 * i], dtype=np.float64),
    )
    return bytes(TS.serialize_ros1(msg, Float64MultiArray.__msgtype__))


# name -> (compression, chunk threshold in bytes, number of /cmd messages)
CASES = {
    'plain.bag': (None, None, 10),
    'bz2.bag': (Writer.CompressionFormat.BZ2, None, 10),
    'lz4.bag': (Writer.CompressionFormat.LZ4, None, 10),
    # Many small chunks, /cmd only in the first one: reading /cmd alone must read one chunk.
    'chunked_lz4.bag': (Writer.CompressionFormat.LZ4, 2048, 2),
}


def write_bag(path: Path, compression, chunk_threshold, cmd_count: int) -> dict:
    if path.exists():
        path.unlink()
    writer = Writer(path)
    if compression is not None:
        writer.set_compression(compression)
    if chunk_threshold is not None:
        writer.chunk_threshold = chunk_threshold
    messages = []  # (conn id, time ns, data), in write order
    with writer:
        js = writer.add_connection('/joint_states', JointState.__msgtype__, typestore=TS)
        cmd = writer.add_connection('/cmd', Float64MultiArray.__msgtype__, typestore=TS)
        events = [(T0_NS + i * 10_000_000, 0, i) for i in range(100)]
        events += [(T0_NS + 5_000_000 + i * 100_000_000, 1, i) for i in range(cmd_count)]
        if chunk_threshold is not None:
            # /cmd first (its times are earliest), so all of it lands in the first chunk.
            events.sort(key=lambda e: (e[1] != 1, e[0]))
        else:
            events.sort()
        for t_ns, which, i in events:
            conn = js if which == 0 else cmd
            data = joint_state(i, t_ns) if which == 0 else command(i)
            writer.write(conn, t_ns, data)
            messages.append((conn.id, t_ns, data))
        connections = [js, cmd]
    chunk_count = len([c for c in writer.chunks if c.pos != -1])

    ordered = sorted(messages, key=lambda m: m[1])  # stable: ties keep write order
    digest = hashlib.sha256()
    for conn_id, t_ns, data in ordered:
        digest.update(struct.pack('<IQI', conn_id, t_ns, len(data)))
        digest.update(data)
    out = {
        'compression': 'none' if compression is None else compression.name.lower(),
        'chunk_count': chunk_count,
        'message_count': len(messages),
        'start_time_ns': min(m[1] for m in messages),
        'end_time_ns': max(m[1] for m in messages),
        'messages_sha256': digest.hexdigest(),
        'connections': [],
    }
    for conn in connections:
        mine = [m for m in ordered if m[0] == conn.id]
        out['connections'].append(
            {
                'id': conn.id,
                'topic': conn.topic,
                'type': conn.msgtype.replace('/msg/', '/'),
                'message_definition_sha256': hashlib.sha256(conn.msgdef.data.encode()).hexdigest(),
                'message_count': len(mine),
                'first_time_ns': mine[0][1],
                'last_time_ns': mine[-1][1],
                'first_message_hex': mine[0][2].hex(),
            }
        )
    return out


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    out_dir.mkdir(parents=True, exist_ok=True)
    expected = {'bags': {}}
    for name, (compression, threshold, cmd_count) in CASES.items():
        expected['bags'][name] = write_bag(out_dir / name, compression, threshold, cmd_count)
    (out_dir / 'expected.json').write_text(json.dumps(expected, indent=2, sort_keys=True) + '\n')


if __name__ == '__main__':
    main()
