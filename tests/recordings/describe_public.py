"""Describes the public recordings in crates/episcope-core/tests/fixtures/recordings/public/ (see its
PROVENANCE.md) with INDEPENDENT readers, for `recordings_public.rs` to compare Episcope against:
rosbags' AnyReader for ROS 1 bags and rosbag2 folders (MCAP ones are cross-checked with the `mcap`
library), `mcap` + `mcap-ros2-support` for a plain MCAP, h5py for HDF5.

Per entry (a ROS 1 bag, a rosbag2 folder holding metadata.yaml, a plain MCAP, an HDF5 file): its
files, every stream (topic or dataset path) with its type, message count and first/last log time,
and for a few numeric fields the exact values of the first and last message (or row) plus the
SHA-256 of the field's values over all messages (f64 little-endian, row-major).

Run: .tools/venv/bin/python tests/recordings/describe_public.py [OUT_DIR_OR_FILE]
(default: expected.json in the public/ folder; a directory gets expected.json inside it).
Deterministic: sorted entries and keys, nothing from the clock or the environment.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import h5py
import numpy as np
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from rosbags.highlevel import AnyReader
from rosbags.rosbag2 import Reader as Rosbag2Reader

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "crates" / "episcope-core" / "tests" / "fixtures" / "recordings" / "public"
# Files in public/ that are not recordings.
NOT_RECORDINGS = {"PROVENANCE.md", "expected.json"}
LICENSES = PUBLIC / "LICENSES"  # the sources' license texts

# The numeric fields whose values are recorded, per entry: (stream, field path). Paths are dotted
# (`linear.x`), as both rosbags' message objects and Episcope name them. Only fixed-width fields.
# rosbag2's test_msgs bags (the same recording in sqlite3 and MCAP): every primitive width, fixed
# arrays with extreme values, and fields inside arrays of nested messages.
CDR_TEST = [
    ("/test_topic", "int32_value"),
    ("/test_topic", "float64_value"),
    ("/array_topic", "bool_values"),
    ("/array_topic", "float32_values_default"),
    ("/array_topic", "float64_values_default"),
    ("/array_topic", "int8_values_default"),
    ("/array_topic", "int16_values_default"),
    ("/array_topic", "uint16_values_default"),
    ("/array_topic", "int32_values_default"),
    ("/array_topic", "uint32_values_default"),
    ("/array_topic", "int64_values_default"),
    ("/array_topic", "uint64_values_default"),
    ("/array_topic", "defaults_values[1].float32_value"),
    ("/array_topic", "defaults_values[2].int64_value"),
    ("/array_topic", "alignment_check"),
]
SAMPLES = {
    "turtlesim_bz2/example-bz2.bag": [
        ("/turtle1/pose", "x"),
        ("/turtle1/pose", "theta"),
        ("/turtle2/pose", "linear_velocity"),
        ("/turtle2/cmd_vel", "linear.x"),
        ("/turtle2/cmd_vel", "angular.z"),
        ("/turtle1/color_sensor", "r"),
    ],
    "ros1_test_bag/test_bag.bag": [("int_topic", "data"), ("rosout", "line")],
    "ros1_multiple_connections/test_bag_multiple_connections.bag": [("/int_test_topic", "data"), ("/rosout", "line")],
    "cdr_test_sqlite3": CDR_TEST,
    "cdr_test_mcap": CDR_TEST,
    "talker_mcap": [("/rosout", "line"), ("/rosout", "level"), ("/rosout", "stamp.sec"), ("/rosout", "stamp.nanosec")],
}


def numbers(value):
    """A numeric leaf (scalar or fixed array) as a list of Python floats (exact for <= 53-bit ints)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"not numeric: {value.dtype}")
        return [float(v) for v in value.reshape(-1)]
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        return [float(value)]
    raise TypeError(f"not numeric: {type(value).__name__}")


def field_of(message, path):
    """The leaf at a dotted path, `name[i]` indexing a sequence of nested messages."""
    for part in path.split("."):
        name, _, index = part.partition("[")
        message = getattr(message, name)
        if index:
            message = message[int(index.rstrip("]"))]
    return numbers(message)


def sha_f64(rows):
    digest = hashlib.sha256()
    for row in rows:
        digest.update(np.asarray(row, dtype="<f8").tobytes())
    return digest.hexdigest()


def sample(stream, field, rows, first_time_ns):
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"{stream} {field}: not of fixed width ({sorted(widths)})")
    return {
        "stream": stream,
        # Disambiguates a topic recorded over several connections (ROS 1).
        "stream_first_time_ns": first_time_ns,
        "field": field,
        "width": widths.pop(),
        "messages": len(rows),
        "first": rows[0],
        "last": rows[-1],
        "all_sha256": sha_f64(rows),
    }


def ros1_type(msgtype):
    """rosbags names every type `pkg/msg/Name`; a ROS 1 bag stores `pkg/Name`."""
    pkg, kind, name = msgtype.split("/")
    assert kind == "msg", msgtype
    return f"{pkg}/{name}"


def storage_file(folder):
    """The one storage file of a rosbag2 folder (every fixture here has one)."""
    (only,) = sorted(p for p in folder.iterdir() if p.suffix in (".db3", ".mcap"))
    return only


def metadata_counts(folder):
    """Messages per topic as the folder's metadata.yaml declares them (rosbags' parser)."""
    with Rosbag2Reader(folder) as reader:
        return sorted((c.topic, c.msgcount) for c in reader.connections)


def describe_ros(key, path, container):
    """A ROS 1 bag or a rosbag2 folder, with rosbags' AnyReader.

    A rosbag2 folder is read through its storage file: rosbags pairs the folder's metadata.yaml
    topics with the storage's channels only when their QoS profiles are equal, and in
    talker_mcap they differ (infinite deadlines in the MCAP, zero in the YAML), so reading the
    folder would silently yield no messages. The YAML's counts are checked separately below.
    """
    specs = SAMPLES.get(key, [])
    with AnyReader([storage_file(path) if container != "rosbag1" else path]) as reader:
        conns = sorted(reader.connections, key=lambda c: c.id)
        # The connections of one topic and type (a ROS 1 bag's publishers) are one stream, the way
        # `rosbag info` lists them; streams keep the order of their first connection.
        stream_of = {c.id: (c.topic, c.msgtype) for c in conns}
        keys = list(dict.fromkeys(stream_of[c.id] for c in conns))
        times = {k: [] for k in keys}
        rows = {}  # (stream, field) -> list of rows
        for conn, timestamp, raw in reader.messages():
            k = stream_of[conn.id]
            times[k].append(timestamp)
            wanted = [f for (s, f) in specs if s == conn.topic]
            if wanted:
                message = reader.deserialize(raw, conn.msgtype)
                for f in wanted:
                    rows.setdefault((k, f), []).append(field_of(message, f))
        streams = []
        for k in keys:
            t = times[k]
            members = [c for c in conns if stream_of[c.id] == k]
            assert len(t) == sum(c.msgcount for c in members), (key, k, len(t))
            assert t == sorted(t), (key, k, "not in time order")
            has_definition = all(c.msgdef and c.msgdef.data.strip() for c in members)
            topic, msgtype = k
            streams.append(
                {
                    "name": topic,
                    "type": ros1_type(msgtype) if container == "rosbag1" else msgtype,
                    "messages": len(t),
                    "first_time_ns": t[0] if t else None,
                    "last_time_ns": t[-1] if t else None,
                    # Whether the file carries the type's definition (false: no reader can decode it).
                    "definition": bool(has_definition),
                }
            )
        samples = []
        for k in keys:
            for s, f in specs:
                if s == k[0]:
                    samples.append(sample(s, f, rows[(k, f)], times[k][0]))
    if container != "rosbag1":
        assert metadata_counts(path) == sorted((s["name"], s["messages"]) for s in streams), key
    used = {s for s, _ in specs}
    missing = used - {c.topic for c in conns}
    assert not missing, (key, missing)
    return streams, samples


def mcap_streams(path):
    """Streams of an MCAP with the `mcap` library (and its ROS 2 decoder for samples)."""
    with open(path, "rb") as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        summary = reader.get_summary()
        channels = sorted(summary.channels.values(), key=lambda c: c.id)
        times = {c.id: [] for c in channels}
        for _schema, channel, message in reader.iter_messages(log_time_order=True):
            times[channel.id].append(message.log_time)
        streams = []
        for c in channels:
            t = times[c.id]
            schema = summary.schemas.get(c.schema_id)
            streams.append(
                {
                    "name": c.topic,
                    "type": schema.name if schema else "",
                    "messages": len(t),
                    "first_time_ns": t[0] if t else None,
                    "last_time_ns": t[-1] if t else None,
                    "definition": bool(schema and schema.data.strip()),
                }
            )
    return streams


def describe_mcap(key, path):
    """A plain MCAP, with the `mcap` library and its ROS 2 decoder."""
    specs = SAMPLES.get(key, [])
    streams = mcap_streams(path)
    rows, first_time = {}, {}
    with open(path, "rb") as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        for _schema, channel, message, decoded in reader.iter_decoded_messages(log_time_order=True):
            first_time.setdefault(channel.id, message.log_time)
            for s, field in specs:
                if s == channel.topic:
                    rows.setdefault((channel.id, s, field), []).append(field_of(decoded, field))
    samples = [sample(topic, field, r, first_time[cid]) for (cid, topic, field), r in sorted(rows.items())]
    return streams, samples


def describe_hdf5(key, path):
    streams, samples = [], []
    with h5py.File(path, "r") as f:
        datasets = []
        f.visititems(lambda name, obj: datasets.append("/" + name) if isinstance(obj, h5py.Dataset) else None)
        for name in sorted(datasets):
            ds = f[name]
            shape = list(ds.shape)
            streams.append(
                {
                    "name": name,
                    "dtype": str(ds.dtype),
                    "shape": shape,
                    "type": f"{ds.dtype}[{', '.join(str(d) for d in shape)}]",
                    "messages": shape[0] if shape else 1,
                    # HDF5 datasets carry no time stamps.
                    "first_time_ns": None,
                    "last_time_ns": None,
                }
            )
            if ds.dtype.kind in "biuf" and len(shape) >= 1 and shape[0] > 0:
                values = ds[()].astype(np.float64).reshape(shape[0], -1)
                samples.append(sample(name, name, [list(map(float, r)) for r in values], None))
    return streams, samples


def entries():
    """(key, path, container) for every recording under public/; fails on any other file."""
    found = []
    rosbag2_dirs = sorted({p.parent for p in PUBLIC.rglob("metadata.yaml")})
    for d in rosbag2_dirs:
        storage = "mcap" if any(d.glob("*.mcap")) else "sqlite3"
        found.append((d.relative_to(PUBLIC).as_posix(), d, f"rosbag2_{storage}"))
    for p in sorted(PUBLIC.rglob("*")):
        if not p.is_file() or p.name in NOT_RECORDINGS and p.parent == PUBLIC:
            continue
        if LICENSES in p.parents:
            continue
        if any(d in p.parents for d in rosbag2_dirs):
            continue
        suffix = p.suffix.lower()
        container = {".bag": "rosbag1", ".mcap": "mcap", ".hdf5": "hdf5", ".h5": "hdf5"}.get(suffix)
        if container is None:
            raise SystemExit(f"not a recording, and not described: {p}")
        found.append((p.relative_to(PUBLIC).as_posix(), p, container))
    return sorted(found)


def files_of(path):
    if path.is_dir():
        return sorted(p.relative_to(PUBLIC).as_posix() for p in path.rglob("*") if p.is_file())
    return [path.relative_to(PUBLIC).as_posix()]


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else PUBLIC / "expected.json"
    if out.is_dir():
        out = out / "expected.json"
    result = {}
    for key, path, container in entries():
        if container in ("rosbag1", "rosbag2_sqlite3", "rosbag2_mcap"):
            streams, samples = describe_ros(key, path, container)
        elif container == "mcap":
            streams, samples = describe_mcap(key, path)
        else:
            streams, samples = describe_hdf5(key, path)
        if container == "rosbag2_mcap":
            # A second independent reader of the same file must agree on every stream.
            (mcap_file,) = sorted(path.glob("*.mcap"))
            by_mcap = sorted(mcap_streams(mcap_file), key=lambda s: s["name"])
            assert by_mcap == sorted(streams, key=lambda s: s["name"]), (key, by_mcap, streams)
        timed = [s for s in streams if s["first_time_ns"] is not None]
        result[key] = {
            "container": container,
            "files": files_of(path),
            "start_time_ns": min((s["first_time_ns"] for s in timed), default=None),
            "end_time_ns": max((s["last_time_ns"] for s in timed), default=None),
            "streams": streams,
            "samples": samples,
        }
    text = json.dumps(result, indent=1, sort_keys=True) + "\n"
    out.write_text(text)
    print(f"wrote {out} ({len(result)} entries)", file=sys.stderr)


if __name__ == "__main__":
    main()
