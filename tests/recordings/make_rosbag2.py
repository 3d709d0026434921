#!/usr/bin/env python3
"""Writes small rosbag2 sqlite3 (.db3) fixtures with an independent writer (rosbags) plus expected.json.

Usage: .tools/venv/bin/python tests/recordings/make_rosbag2.py [OUT_DIR]
OUT_DIR defaults to crates/episcope-core/tests/fixtures/recordings/rosbag2; each bag is a folder
(metadata.yaml + <name>.db3 + expected.json). Deterministic: fixed times and values.
"""

import hashlib
import io
import json
import re
import shutil
import sqlite3
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "crates/episcope-core/tests/fixtures/recordings/rosbag2"
T0 = 1_700_000_000_000_000_000
TS = get_typestore(Stores.ROS2_HUMBLE)
Time = TS.types["builtin_interfaces/msg/Time"]
Header = TS.types["std_msgs/msg/Header"]


def header(t_ns, frame):
    return Header(stamp=Time(sec=t_ns // 1_000_000_000, nanosec=t_ns % 1_000_000_000), frame_id=frame)


def joint_state(t_ns, i):
    JointState = TS.types["sensor_msgs/msg/JointState"]
    x = i * 0.01
    return JointState(
        header=header(t_ns, "base"),
        name=["shoulder", "elbow", "wrist"],
        position=np.array([np.sin(x), np.cos(x), x], dtype=np.float64),
        velocity=np.array([np.cos(x), -np.sin(x), 1.0], dtype=np.float64),
        effort=np.array([], dtype=np.float64),
    )


def image(t_ns, i):
    Image = TS.types["sensor_msgs/msg/Image"]
    w, h = 64, 48
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([(xx * 4 + i) % 256, (yy * 5 + 2 * i) % 256, (xx + yy + 3 * i) % 256], axis=-1)
    return Image(
        header=header(t_ns, "camera"),
        height=h,
        width=w,
        encoding="rgb8",
        is_bigendian=0,
        step=w * 3,
        data=rgb.astype(np.uint8).reshape(-1),
    )


def quaternion_z(angle):
    Quaternion = TS.types["geometry_msgs/msg/Quaternion"]
    return Quaternion(x=0.0, y=0.0, z=float(np.sin(angle / 2)), w=float(np.cos(angle / 2)))


def vector3(x, y, z):
    return TS.types["geometry_msgs/msg/Vector3"](x=float(x), y=float(y), z=float(z))


def imu(t_ns, i):
    Imu = TS.types["sensor_msgs/msg/Imu"]
    cov = np.arange(9, dtype=np.float64) * 0.001
    return Imu(
        header=header(t_ns, "imu_link"),
        orientation=quaternion_z(i * 0.1),
        orientation_covariance=cov,
        angular_velocity=vector3(0.01 * i, -0.02, 0.5 + 0.01 * i),
        angular_velocity_covariance=cov * 2,
        linear_acceleration=vector3(0.0, 0.1 * i, 9.81),
        linear_acceleration_covariance=cov * 3 + i,
    )


def odometry(t_ns, i):
    ts = TS.types
    pose = ts["geometry_msgs/msg/Pose"](
        position=ts["geometry_msgs/msg/Point"](x=0.05 * i, y=-0.01 * i, z=0.0), orientation=quaternion_z(0.02 * i)
    )
    twist = ts["geometry_msgs/msg/Twist"](linear=vector3(0.5 + 0.001 * i, 0, 0), angular=vector3(0, 0, 0.1))
    return ts["nav_msgs/msg/Odometry"](
        header=header(t_ns, "odom"),
        child_frame_id="base_link",
        pose=ts["geometry_msgs/msg/PoseWithCovariance"](pose=pose, covariance=np.arange(36, dtype=np.float64) + i),
        twist=ts["geometry_msgs/msg/TwistWithCovariance"](twist=twist, covariance=np.zeros(36, dtype=np.float64)),
    )


def tf_message(t_ns, i):
    ts = TS.types
    transforms = []
    for k, (parent, child) in enumerate([("world", "base_link"), ("base_link", "tool0")]):
        transform = ts["geometry_msgs/msg/Transform"](
            translation=vector3(0.1 * k, 0.2 + 0.01 * i, 0.3), rotation=quaternion_z(0.05 * i + k)
        )
        transforms.append(
            ts["geometry_msgs/msg/TransformStamped"](header=header(t_ns, parent), child_frame_id=child, transform=transform)
        )
    return ts["tf2_msgs/msg/TFMessage"](transforms=transforms)


def png_bytes(rgb):
    """A minimal truecolour PNG of an (h, w, 3) uint8 array (stdlib zlib; the browser decodes it)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in rgb.astype(np.uint8))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def camera_rgb(i, w=32, h=24):
    """Frame i of the camera: pixel (x, y) is RGB (8x, 10y, 20i) mod 256."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([(xx * 8) % 256, (yy * 10) % 256, np.full_like(xx, (20 * i) % 256)], axis=-1).astype(np.uint8)


def bgr_image(t_ns, i):
    rgb = camera_rgb(i)
    h, w, _ = rgb.shape
    return TS.types["sensor_msgs/msg/Image"](
        header=header(t_ns, "camera"), height=h, width=w, encoding="bgr8", is_bigendian=0, step=w * 3,
        data=rgb[:, :, ::-1].reshape(-1).copy(),
    )


def depth_image(t_ns, i, w=16, h=12):
    """16UC1 depth in mm: 1000 + 100x + i, and 0 (no depth) in column 0."""
    yy, xx = np.mgrid[0:h, 0:w]
    mm = np.where(xx == 0, 0, 1000 + 100 * xx + i).astype("<u2")
    return TS.types["sensor_msgs/msg/Image"](
        header=header(t_ns, "depth"), height=h, width=w, encoding="16UC1", is_bigendian=0, step=w * 2,
        data=np.frombuffer(mm.tobytes(), dtype=np.uint8).copy(),
    )


def compressed_solid(i):
    """Frame i of the compressed camera: a solid 16x16 PNG of RGB (200, 40i, 30)."""
    return np.tile(np.array([200, (40 * i) % 256, 30], dtype=np.uint8), (16, 16, 1))


def compressed_image(t_ns, i):
    data = np.frombuffer(png_bytes(compressed_solid(i)), dtype=np.uint8).copy()
    return TS.types["sensor_msgs/msg/CompressedImage"](header=header(t_ns, "camera"), format="png", data=data)


def jpeg_frame(i, w=32, h=24):
    """Frame i of the JPEG camera: a smooth RGB gradient (6x + 4i, 10y, 200 - 4x) that JPEG keeps well."""
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([6 * xx + 4 * i, 10 * yy, 200 - 4 * xx], axis=-1)
    return rgb.astype(np.uint8)


def jpeg_bytes(rgb):
    """A baseline JPEG of an (h, w, 3) uint8 array by Pillow (libjpeg-turbo): quality 95, 4:2:0."""
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="JPEG", quality=95, subsampling=2)
    return buffer.getvalue()


def jpeg_image(t_ns, jpeg):
    data = np.frombuffer(jpeg, dtype=np.uint8).copy()
    return TS.types["sensor_msgs/msg/CompressedImage"](header=header(t_ns, "camera"), format="jpeg", data=data)


def pose_stamped(t_ns, i):
    """20 Hz: a circle of radius 1 m in x-y, rising 0.1 m/s; yaw = t."""
    ts = TS.types
    t = i * 0.05
    pose = ts["geometry_msgs/msg/Pose"](
        position=ts["geometry_msgs/msg/Point"](x=float(np.cos(2 * np.pi * t)), y=float(np.sin(2 * np.pi * t)), z=0.1 * t),
        orientation=quaternion_z(t),
    )
    return ts["geometry_msgs/msg/PoseStamped"](header=header(t_ns, "world"), pose=pose)


def tf_one_frame(t_ns, i):
    """A TFMessage with one transform: world→base_link on even i, base_link→tool0 on odd i (two
    publishers on /tf). tool0 sits at (0.1, 0.2 + 0.01 i, 0.3)."""
    ts = TS.types
    parent, child, k = [("world", "base_link", 0), ("base_link", "tool0", 1)][i % 2]
    transform = ts["geometry_msgs/msg/Transform"](
        translation=vector3(0.1 * k, 0.2 + 0.01 * i, 0.3), rotation=quaternion_z(0.05 * i)
    )
    stamped = ts["geometry_msgs/msg/TransformStamped"](header=header(t_ns, parent), child_frame_id=child, transform=transform)
    return ts["tf2_msgs/msg/TFMessage"](transforms=[stamped])


def string(text):
    return TS.types["std_msgs/msg/String"](data=text)


def field_values(msg, dotted):
    """A numeric field of a message object by its dotted path (`pose.pose.position.x`, `transforms[0].transform.rotation.w`) as floats."""
    value = msg
    for part in dotted.split("."):
        name, _, index = part.partition("[")
        value = getattr(value, name)
        if index:
            value = value[int(index.rstrip("]"))]
    return [float(v) for v in np.asarray(value, dtype=np.float64).reshape(-1)]


def write_bag(out, name, topics, messages, page_size=None, humble=False, samples=()):
    """topics: [(topic, type)]; messages: [(topic index, t_ns, msg)] in any order.

    humble: store no definitions, as ROS 2 Humble's recorder does (metadata version 5, no
    message_definitions table; metadata.yaml and the other tables stay
    as rosbags writes them), so readers need the standard types' definitions from elsewhere. The
    messages stay rosbags' real CDR.
    samples: [(topic, field path)] whose values in the first and last message go to expected.json.
    """
    path = out / name
    if path.exists():
        shutil.rmtree(path)
    records = {t: [] for t, _ in topics}
    with Writer(path, version=9, storage_plugin=StoragePlugin.SQLITE3) as writer:
        conns = [writer.add_connection(t, ty, typestore=TS) for t, ty in topics]
        for ti, t_ns, msg in messages:
            data = bytes(TS.serialize_cdr(msg, topics[ti][1]))
            writer.write(conns[ti], t_ns, data)
            records[topics[ti][0]].append((t_ns, data))
    if page_size is not None:
        # Re-lay the same rows out with another page size (deeper trees, longer overflow chains).
        db = sqlite3.connect(path / f"{name}.db3")
        db.execute(f"PRAGMA page_size={page_size}")
        db.execute("VACUUM")
        db.close()
    db = sqlite3.connect(path / f"{name}.db3")
    defs = dict(db.execute("SELECT topic_type, encoded_message_definition FROM message_definitions"))
    if humble:
        db.execute("DROP TABLE message_definitions")
        db.execute("VACUUM")
        defs = {ty: "" for _, ty in topics}
    db.close()
    if humble:
        meta = path / "metadata.yaml"
        text = re.sub(r"^(\s+)version: \d+$", r"\g<1>version: 5", meta.read_text(), count=1, flags=re.M)
        meta.write_text(text)
    expected_topics = []
    for i, (t, ty) in enumerate(topics):
        rec = sorted(records[t], key=lambda r: r[0])
        expected_topics.append(
            {
                "id": i + 1,
                "name": t,
                "type": ty,
                "serialization_format": "cdr",
                "schema_encoding": "" if humble else "ros2msg",
                "count": len(rec),
                "first_ns": rec[0][0] if rec else None,
                "last_ns": rec[-1][0] if rec else None,
                "first_sha256": hashlib.sha256(rec[0][1]).hexdigest() if rec else None,
                "last_sha256": hashlib.sha256(rec[-1][1]).hexdigest() if rec else None,
                "first_len": len(rec[0][1]) if rec else None,
                "schema_sha256": hashlib.sha256(defs[ty].encode()).hexdigest(),
            }
        )
    times = [t for _, t, _ in messages]
    expected = {
        "db3": f"{name}.db3",
        "page_size": page_size or 4096,
        "message_count": len(messages),
        "start_ns": min(times) if times else None,
        "end_ns": max(times) if times else None,
        "topics": expected_topics,
    }
    if samples:
        by_topic = {t: sorted((m for m in messages if topics[m[0]][0] == t), key=lambda m: m[1]) for t, _ in topics}
        expected["samples"] = [
            {"topic": t, "field": f, "first": field_values(by_topic[t][0][2], f), "last": field_values(by_topic[t][-1][2], f)}
            for t, f in samples
        ]
    (path / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")


def write_mcap_bag(out, name, topics, messages):
    """A rosbag2 bag with the MCAP storage plugin (what `ros2 bag record` writes since Iron)."""
    path = out / name
    if path.exists():
        shutil.rmtree(path)
    counts = {t: 0 for t, _ in topics}
    with Writer(path, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        conns = [writer.add_connection(t, ty, typestore=TS) for t, ty in topics]
        for ti, t_ns, msg in messages:
            writer.write(conns[ti], t_ns, bytes(TS.serialize_cdr(msg, topics[ti][1])))
            counts[topics[ti][0]] += 1
    expected = {
        "storage": "mcap",
        "files": sorted(p.name for p in path.iterdir() if p.suffix == ".mcap"),
        "topics": [{"name": t, "type": ty, "count": counts[t]} for t, ty in topics],
    }
    (path / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")


def write_split_bag(out, name, topics, messages, split_ns, storage):
    """A bag split in two files at `split_ns` (what `ros2 bag record --max-bag-duration` writes):
    each half is written by rosbags as its own bag, then the halves' files go into one folder under
    one metadata.yaml listing both (the format rosbag2 writes for split bags). rosbags' own reader
    reads the result back before it is kept, so the layout is checked by an independent reader."""
    from rosbags.rosbag2 import Reader
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False

    path = out / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    plugin = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}[storage]
    halves = [[m for m in messages if m[1] < split_ns], [m for m in messages if m[1] >= split_ns]]
    metas = []
    for k, half in enumerate(halves):
        part = out / f"{name}.part{k}"
        if part.exists():
            shutil.rmtree(part)
        with Writer(part, version=9, storage_plugin=plugin) as writer:
            conns = [writer.add_connection(t, ty, typestore=TS) for t, ty in topics]
            for ti, t_ns, msg in half:
                writer.write(conns[ti], t_ns, bytes(TS.serialize_cdr(msg, topics[ti][1])))
        ext = ".mcap" if storage == "mcap" else ".db3"
        src = next(p for p in part.iterdir() if p.suffix == ext)
        dst = path / f"{name}_{k}{ext}"
        shutil.move(str(src), dst)
        meta = yaml.load((part / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
        meta["files"][0]["path"] = dst.name
        meta["relative_file_paths"] = [dst.name]
        metas.append(meta)
        shutil.rmtree(part)
    merged = metas[0]
    merged["files"] = metas[0]["files"] + metas[1]["files"]
    merged["relative_file_paths"] = metas[0]["relative_file_paths"] + metas[1]["relative_file_paths"]
    merged["message_count"] = metas[0]["message_count"] + metas[1]["message_count"]
    start = min(m["starting_time"]["nanoseconds_since_epoch"] for m in metas)
    end = max(m["starting_time"]["nanoseconds_since_epoch"] + m["duration"]["nanoseconds"] for m in metas)
    merged["starting_time"]["nanoseconds_since_epoch"] = start
    merged["duration"]["nanoseconds"] = end - start
    for topic in merged["topics_with_message_count"]:
        topic["message_count"] = sum(
            t["message_count"]
            for m in metas
            for t in m["topics_with_message_count"]
            if t["topic_metadata"]["name"] == topic["topic_metadata"]["name"]
        )
    text = io.StringIO()
    yaml.dump({"rosbag2_bagfile_information": merged}, text)
    (path / "metadata.yaml").write_text(text.getvalue())
    counts = {t: 0 for t, _ in topics}
    with Reader(path) as reader:
        read_back = 0
        for connection, t_ns, _ in reader.messages():
            counts[connection.topic] += 1
            read_back += 1
    assert read_back == len(messages), (read_back, len(messages))
    expected = {
        "storage": storage,
        "files": merged["relative_file_paths"],
        "split_ns": split_ns,
        "topics": [{"name": t, "type": ty, "count": counts[t]} for t, ty in topics],
    }
    (path / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)

    # 1 s of a 3-joint JointState at 100 Hz and a 64x48 rgb8 Image at 10 Hz (9 KiB blobs: overflow).
    msgs = [(0, T0 + i * 10_000_000, joint_state(T0 + i * 10_000_000, i)) for i in range(100)]
    msgs += [(1, T0 + 5_000_000 + i * 100_000_000, image(T0 + 5_000_000 + i * 100_000_000, i)) for i in range(10)]
    msgs.sort(key=lambda m: m[1])
    write_bag(
        out,
        "joint_image",
        [("/joint_states", "sensor_msgs/msg/JointState"), ("/camera/image_raw", "sensor_msgs/msg/Image")],
        msgs,
    )

    write_mcap_bag(
        out,
        "joint_mcap",
        [("/joint_states", "sensor_msgs/msg/JointState"), ("/camera/image_raw", "sensor_msgs/msg/Image")],
        msgs,
    )

    # A camera rig over 1 s, every stream at its own rate (MCAP storage): JointState 50 Hz, a 32x24
    # bgr8 camera 10 Hz, a 16x12 16UC1 depth camera 5 Hz, a 16x16 PNG CompressedImage 5 Hz and a
    # PoseStamped 20 Hz, and /tf at 20 Hz from two publishers (one frame per message, alternating).
    # The pixels follow camera_rgb / depth_image / compressed_solid.
    msgs = [(0, T0 + i * 20_000_000, joint_state(T0 + i * 20_000_000, i)) for i in range(50)]
    msgs += [(1, T0 + 3_000_000 + i * 100_000_000, bgr_image(T0 + 3_000_000 + i * 100_000_000, i)) for i in range(10)]
    msgs += [(2, T0 + 7_000_000 + i * 200_000_000, depth_image(T0 + 7_000_000 + i * 200_000_000, i)) for i in range(5)]
    msgs += [(3, T0 + 9_000_000 + i * 200_000_000, compressed_image(T0 + 9_000_000 + i * 200_000_000, i)) for i in range(5)]
    msgs += [(4, T0 + 1_000_000 + i * 50_000_000, pose_stamped(T0 + 1_000_000 + i * 50_000_000, i)) for i in range(20)]
    msgs += [(5, T0 + 2_000_000 + i * 50_000_000, tf_one_frame(T0 + 2_000_000 + i * 50_000_000, i)) for i in range(20)]
    msgs.sort(key=lambda m: m[1])
    write_mcap_bag(
        out,
        "camera_pose",
        [
            ("/joint_states", "sensor_msgs/msg/JointState"),
            ("/camera/image_raw", "sensor_msgs/msg/Image"),
            ("/camera/depth", "sensor_msgs/msg/Image"),
            ("/camera/compressed", "sensor_msgs/msg/CompressedImage"),
            ("/pose", "geometry_msgs/msg/PoseStamped"),
            ("/tf", "tf2_msgs/msg/TFMessage"),
        ],
        msgs,
    )

    # A JPEG camera (sensor_msgs/CompressedImage, format "jpeg", by Pillow) at 10 Hz beside JointState
    # at 50 Hz over 1 s (MCAP storage). pil_decoded.rgb holds Pillow's own decoding of each JPEG
    # (10 frames of 24x32x3 bytes, in order): the independent reference for our decoder.
    jpegs = [jpeg_bytes(jpeg_frame(i)) for i in range(10)]
    msgs = [(0, T0 + i * 20_000_000, joint_state(T0 + i * 20_000_000, i)) for i in range(50)]
    msgs += [(1, T0 + 5_000_000 + i * 100_000_000, jpeg_image(T0 + 5_000_000 + i * 100_000_000, j)) for i, j in enumerate(jpegs)]
    msgs.sort(key=lambda m: m[1])
    write_mcap_bag(
        out,
        "jpeg_camera",
        [("/joint_states", "sensor_msgs/msg/JointState"), ("/camera/image/compressed", "sensor_msgs/msg/CompressedImage")],
        msgs,
    )
    decoded = b"".join(np.asarray(Image.open(io.BytesIO(j)).convert("RGB"), dtype=np.uint8).tobytes() for j in jpegs)
    (out / "jpeg_camera" / "pil_decoded.rgb").write_bytes(decoded)

    # The joint_image messages as a bag split in two files at 0.5 s, in both storage formats.
    msgs = [(0, T0 + i * 10_000_000, joint_state(T0 + i * 10_000_000, i)) for i in range(100)]
    msgs += [(1, T0 + 5_000_000 + i * 100_000_000, image(T0 + 5_000_000 + i * 100_000_000, i)) for i in range(10)]
    msgs.sort(key=lambda m: m[1])
    split_topics = [("/joint_states", "sensor_msgs/msg/JointState"), ("/camera/image_raw", "sensor_msgs/msg/Image")]
    write_split_bag(out, "split_mcap", split_topics, msgs, T0 + 500_000_000, "mcap")
    write_split_bag(out, "split_sqlite3", split_topics, msgs, T0 + 500_000_000, "sqlite3")

    # 512-byte pages: interior pages in every table, long overflow chains; writes out of time order,
    # a topic with no messages, and a 3 KB string.
    msgs = []
    for i in range(60):
        t = T0 + (59 - i) * 1_000_000  # written newest first
        msgs.append((0, t, string(f"chatter {i:03} " + "x" * (i * 7))))
    msgs.append((1, T0 + 30_500_000, string("y" * 3000)))
    write_bag(
        out,
        "small_pages",
        [("/chatter", "std_msgs/msg/String"), ("/big", "std_msgs/msg/String"), ("/silent", "std_msgs/msg/String")],
        msgs,
        page_size=512,
    )


    # A Humble bag (no definitions in the file): JointState, Imu, Odometry and TFMessage at 50 Hz
    # for 0.2 s, decodable only with the standard definitions bundled by the reader.
    msgs = []
    for i in range(10):
        t = T0 + i * 20_000_000
        msgs.append((0, t, joint_state(t, i)))
        msgs.append((1, t + 1_000_000, imu(t + 1_000_000, i)))
        msgs.append((2, t + 2_000_000, odometry(t + 2_000_000, i)))
        msgs.append((3, t + 3_000_000, tf_message(t + 3_000_000, i)))
    write_bag(
        out,
        "humble_no_definitions",
        [
            ("/joint_states", "sensor_msgs/msg/JointState"),
            ("/imu", "sensor_msgs/msg/Imu"),
            ("/odom", "nav_msgs/msg/Odometry"),
            ("/tf", "tf2_msgs/msg/TFMessage"),
        ],
        msgs,
        humble=True,
        samples=[
            ("/joint_states", "position"),
            ("/imu", "orientation.w"),
            ("/imu", "angular_velocity.z"),
            ("/imu", "linear_acceleration_covariance"),
            ("/odom", "pose.pose.position.x"),
            ("/odom", "twist.twist.linear.x"),
            ("/odom", "pose.covariance"),
            ("/tf", "transforms[0].transform.translation.y"),
            ("/tf", "transforms[1].transform.rotation.z"),
        ],
    )


if __name__ == "__main__":
    main()
