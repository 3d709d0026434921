"""Writes the MCAP recording fixtures with independent writers (mcap + mcap-ros2-support), plus expected.json.

Usage (from the repo root):
    . scripts/ensure-python.sh
    "$EPISCOPE_PY" tests/recordings/make_mcap.py [OUT_DIR]

OUT_DIR (like make_rosbag1.py / make_rosbag2.py) defaults to
`crates/episcope-core/tests/fixtures/recordings/mcap`. Files: joint_{zstd,lz4,none}.mcap (ros2 profile,
4 KiB chunks), no_summary.mcap (low-level writer, no summary section: footer summary_start = 0) and
ros2idl.mcap (schemas in `ros2idl`, as rosidl writes them, messages serialised from .msg definitions).
Deterministic: fixed times and values, no wall clock.
"""

import json
import math
import sys
from pathlib import Path

from mcap.writer import CompressionType, IndexType
from mcap.writer import Writer as McapWriter
from mcap_ros2._dynamic import serialize_dynamic
from mcap_ros2.writer import Writer as Ros2Writer

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "crates/episcope-core/tests/fixtures/recordings/mcap"
T0 = 1_700_000_000_000_000_000
SEP = "=" * 80

TIME = """# This message communicates ROS Time defined here:
# https://design.ros2.org/articles/clock_and_time.html

# The seconds component, valid over all int32 values.
int32 sec

# The nanoseconds component, valid in the range [0, 10e9).
uint32 nanosec
"""

HEADER = """# Standard metadata for higher-level stamped data types.
# This is generally used to communicate timestamped data
# in a particular coordinate frame.

# Two-integer timestamp that is expressed as seconds and nanoseconds.
builtin_interfaces/Time stamp

# Transform frame with which this data is associated.
string frame_id
"""

JOINT_STATE = """# This is a message that holds data to describe the state of a set of torque controlled joints.
#
# The state of each joint (revolute or prismatic) is defined by:
#  * the position of the joint (rad or m),
#  * the velocity of the joint (rad/s or m/s) and
#  * the effort that is applied in the joint (Nm or N).
#
# Each joint is uniquely identified by its name
# The header specifies the time at which the joint states were recorded. All the joint states
# in one message have to be recorded at the same time.
#
# This message consists of a multiple arrays, one for each part of the joint state.
# The goal is to make each of the fields optional. When e.g. your joints have no
# effort associated with them, you can leave the effort array empty.
#
# All arrays in this message should have the same size, or be empty.
# This is the only way to uniquely associate the joint name with the correct
# states.

std_msgs/Header header

string[] name
float64[] position
float64[] velocity
float64[] effort
"""

FLOAT64_MULTI_ARRAY = """# This was originally provided as an example message.
# It is deprecated as of Foxy
# It is recommended to create your own semantically meaningful message.
# However if you would like to continue using this please use the equivalent in example_msgs.

# Please look at the MultiArrayLayout message definition for
# documentation on all multiarrays.

MultiArrayLayout  layout        # specification of data layout
float64[]         data          # array of data
"""

LAYOUT = """# This was originally provided as an example message.
# It is deprecated as of Foxy
# It is recommended to create your own semantically meaningful message.
# However if you would like to continue using this please use the equivalent in example_msgs.

# The multiarray declares a generic multi-dimensional array of a
# particular data type.  Dimensions are ordered from outer most
# to inner most.
#
# Accessors should ALWAYS be written in terms of dimension stride
# and specified outer-most dimension first.
#
# multiarray(i,j,k) = data[data_offset + dim_stride[1]*i + dim_stride[2]*j + k]
#
# A standard, 3-channel 640x480 image with interleaved color channels
# would be specified as:
#
# dim[0].label  = "height"
# dim[0].size   = 480
# dim[0].stride = 3*640*480 = 921600  (note dim[0] stride is just size of image)
# dim[1].label  = "width"
# dim[1].size   = 640
# dim[1].stride = 3*640 = 1920
# dim[2].label  = "channel"
# dim[2].size   = 3
# dim[2].stride = 3
#
# multiarray(i,j,k) refers to the ith row, jth column, and kth channel.

MultiArrayDimension[] dim # Array of dimension properties
uint32 data_offset        # padding bytes at front of data
"""

DIMENSION = """# This was originally provided as an example message.
# It is deprecated as of Foxy
# It is recommended to create your own semantically meaningful message.
# However if you would like to continue using this please use the equivalent in example_msgs.

string label   # label of given dimension
uint32 size    # size of given dimension (in type units)
uint32 stride  # stride of given dimension
"""


def concat(main, deps):
    text = main
    for name, body in deps:
        text += f"{SEP}\nMSG: {name}\n{body}"
    return text


JOINT_DEF = concat(JOINT_STATE, [("std_msgs/Header", HEADER), ("builtin_interfaces/Time", TIME)])
CMD_DEF = concat(FLOAT64_MULTI_ARRAY, [("std_msgs/MultiArrayLayout", LAYOUT), ("std_msgs/MultiArrayDimension", DIMENSION)])
JOINT_TYPE = "sensor_msgs/msg/JointState"
CMD_TYPE = "std_msgs/msg/Float64MultiArray"


def joint(i):
    t = T0 + i * 10_000_000
    return t, {
        "header": {"stamp": {"sec": t // 10**9, "nanosec": t % 10**9}, "frame_id": ""},
        "name": ["j1", "j2", "j3"],
        "position": [round(math.sin(i * 0.1 + k), 6) for k in range(3)],
        "velocity": [float(i), float(-i), 0.5 * i],
        "effort": [],
    }


def cmd(i):
    return T0 + i * 100_000_000, {"layout": {"dim": [], "data_offset": 0}, "data": [i * 1.0, i * 2.0]}


def messages():
    """(log_time, topic, index, dict) in log-time order (joint before cmd at equal times)."""
    out = [(t, 0, "/joint_states", i, m) for i, (t, m) in ((i, joint(i)) for i in range(100))]
    out += [(t, 1, "/cmd", i, m) for i, (t, m) in ((i, cmd(i)) for i in range(10))]
    out.sort(key=lambda r: (r[0], r[1]))
    return [(t, topic, i, m) for t, _, topic, i, m in out]


def write_ros2(path, compression):
    with open(path, "wb") as f:
        w = Ros2Writer(f, chunk_size=4096, compression=compression)
        schemas = {"/joint_states": w.register_msgdef(JOINT_TYPE, JOINT_DEF), "/cmd": w.register_msgdef(CMD_TYPE, CMD_DEF)}
        for t, topic, i, m in messages():
            w.write_message(topic, schemas[topic], m, log_time=t, publish_time=t, sequence=i)
        w.finish()


def write_no_summary(path):
    enc = {
        JOINT_TYPE: serialize_dynamic(JOINT_TYPE, JOINT_DEF)[JOINT_TYPE],
        CMD_TYPE: serialize_dynamic(CMD_TYPE, CMD_DEF)[CMD_TYPE],
    }
    with open(path, "wb") as f:
        w = McapWriter(
            f,
            chunk_size=4096,
            compression=CompressionType.ZSTD,
            index_types=IndexType.MESSAGE,
            repeat_channels=False,
            repeat_schemas=False,
            use_statistics=False,
            use_summary_offsets=False,
        )
        w.start(profile="ros2", library="episcope fixtures (mcap python writer)")
        js = w.register_schema(JOINT_TYPE, "ros2msg", JOINT_DEF.encode())
        cs = w.register_schema(CMD_TYPE, "ros2msg", CMD_DEF.encode())
        ch = {
            "/joint_states": (w.register_channel("/joint_states", "cdr", js), enc[JOINT_TYPE]),
            "/cmd": (w.register_channel("/cmd", "cdr", cs), enc[CMD_TYPE]),
        }
        for t, topic, i, m in messages():
            cid, e = ch[topic]
            w.add_message(channel_id=cid, log_time=t, publish_time=t, sequence=i, data=e(m))
        w.finish()
    data = path.read_bytes()
    # Footer: opcode 0x02, u64 len, u64 summary_start, u64 summary_offset_start, u32 crc; then magic.
    footer = data[-8 - 29 : -8]
    assert footer[0] == 0x02 and footer[9:25] == bytes(16), "no_summary.mcap still has a summary"


# The same types as rosidl_adapter writes them in IDL (what rosbag2 stores as `ros2idl` for
# types defined in .idl), plus a custom type with what IDL adds: a constants module, a typedef'd
# array, a bounded sequence and string, annotations. The messages are serialised by mcap_ros2 from
# the equivalent .msg definitions, so the bytes do not come from the IDL text.
TIME_IDL = """// generated from rosidl_adapter/resource/msg.idl.em
// with input from builtin_interfaces/msg/Time.msg
// generated code does not contain a copyright notice

module builtin_interfaces {
  module msg {
    @verbatim (language="comment", text=
      "This message communicates ROS Time defined here:" "\\n"
      "https://design.ros2.org/articles/clock_and_time.html")
    struct Time {
      @verbatim (language="comment", text=
        "The seconds component, valid over all int32 values.")
      int32 sec;

      @verbatim (language="comment", text=
        "The nanoseconds component, valid in the range [0, 10e9).")
      uint32 nanosec;
    };
  };
};
"""

HEADER_IDL = """// generated from rosidl_adapter/resource/msg.idl.em
// with input from std_msgs/msg/Header.msg
// generated code does not contain a copyright notice

#include "builtin_interfaces/msg/Time.idl"

module std_msgs {
  module msg {
    @verbatim (language="comment", text=
      "Standard metadata for higher-level stamped data types.")
    struct Header {
      @verbatim (language="comment", text=
        "Two-integer timestamp that is expressed as seconds and nanoseconds.")
      builtin_interfaces::msg::Time stamp;

      @verbatim (language="comment", text=
        "Transform frame with which this data is associated.")
      string frame_id;
    };
  };
};
"""

JOINT_STATE_IDL = """// generated from rosidl_adapter/resource/msg.idl.em
// with input from sensor_msgs/msg/JointState.msg
// generated code does not contain a copyright notice

#include "std_msgs/msg/Header.idl"

module sensor_msgs {
  module msg {
    @verbatim (language="comment", text=
      "This is a message that holds data to describe the state of a set of torque controlled joints." "\\n"
      "All arrays in this message should have the same size, or be empty.")
    struct JointState {
      std_msgs::msg::Header header;

      sequence<string> name;

      sequence<double> position;

      sequence<double> velocity;

      sequence<double> effort;
    };
  };
};
"""

CALIBRATION_IDL = """/* A custom type: constants, a typedef'd array, bounded sequence and string. */
module demo_msgs {
  module msg {
    module Calibration_Constants {
      const uint8 MODE_A = 1;
      const string NAME = "cal; not a field";
    };
    typedef double double__9[9];
    @verbatim (language="comment", text=
      "A 3x3 matrix and its gains.")
    struct Calibration {
      @default (value=1)
      uint8 mode;
      double__9 matrix;
      int16 offsets[3];
      sequence<float, 4> gains;
      string<8> label;
      boolean valid;
      builtin_interfaces::msg::Time stamp;
    };
  };
};
"""

CALIBRATION_MSG = """uint8 MODE_A=1
uint8 mode
float64[9] matrix
int16[3] offsets
float32[<=4] gains
string<=8 label
bool valid
builtin_interfaces/Time stamp
"""


def concat_idl(main, deps):
    text = main
    for name, body in deps:
        text += f"{SEP}\nIDL: {name}\n{body}"
    return text


def calibration(i):
    return {
        "mode": 1,
        "matrix": [float(i * 10 + k) for k in range(9)],
        "offsets": [i, -i, 7],
        "gains": [0.5 * i, 0.25],
        "label": f"c{i}",
        "valid": i % 2 == 0,
        "stamp": {"sec": i, "nanosec": 5},
    }


def write_idl(path):
    joint_idl = concat_idl(
        JOINT_STATE_IDL, [("std_msgs/msg/Header", HEADER_IDL), ("builtin_interfaces/msg/Time", TIME_IDL)]
    )
    cal_type = "demo_msgs/msg/Calibration"
    cal_idl = concat_idl(CALIBRATION_IDL, [("builtin_interfaces/msg/Time", TIME_IDL)])
    cal_def = concat(CALIBRATION_MSG, [("builtin_interfaces/Time", TIME)])
    enc_joint = serialize_dynamic(JOINT_TYPE, JOINT_DEF)[JOINT_TYPE]
    enc_cal = serialize_dynamic(cal_type, cal_def)[cal_type]
    with open(path, "wb") as f:
        w = McapWriter(f, chunk_size=4096, compression=CompressionType.ZSTD)
        w.start(profile="ros2", library="episcope fixtures (mcap python writer)")
        js = w.register_schema(JOINT_TYPE, "ros2idl", joint_idl.encode())
        cs = w.register_schema(cal_type, "ros2idl", cal_idl.encode())
        jc = w.register_channel("/joint_states", "cdr", js)
        cc = w.register_channel("/calibration", "cdr", cs)
        for i in range(20):
            t, m = joint(i)
            w.add_message(channel_id=jc, log_time=t, publish_time=t, sequence=i, data=enc_joint(m))
        for i in range(4):
            t = T0 + i * 50_000_000
            w.add_message(channel_id=cc, log_time=t, publish_time=t, sequence=i, data=enc_cal(calibration(i)))
        w.finish()
    return {
        "joint_states": {str(i): {"position": joint(i)[1]["position"], "name": joint(i)[1]["name"]} for i in (0, 19)},
        "calibration": {str(i): calibration(i) for i in (0, 3)},
    }


def expected_entry(compression, summary):
    msgs = messages()
    joints = {i: m for t, topic, i, m in msgs if topic == "/joint_states"}
    cmds = {i: m for t, topic, i, m in msgs if topic == "/cmd"}
    return {
        "summary": summary,
        "chunk_compression": compression,
        "channels": [
            {"topic": "/joint_states", "message_type": JOINT_TYPE, "schema_encoding": "ros2msg",
             "message_encoding": "cdr", "message_count": 100, "first_log_time_ns": T0,
             "last_log_time_ns": T0 + 99 * 10_000_000},
            {"topic": "/cmd", "message_type": CMD_TYPE, "schema_encoding": "ros2msg",
             "message_encoding": "cdr", "message_count": 10, "first_log_time_ns": T0,
             "last_log_time_ns": T0 + 9 * 100_000_000},
        ],
        "joint_states": {
            str(i): {"position": joints[i]["position"], "velocity": joints[i]["velocity"], "name": joints[i]["name"]}
            for i in (0, 1, 99)
        },
        "cmd": {str(i): {"data": cmds[i]["data"]} for i in (0, 9)},
    }


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, comp, label in [
        ("joint_zstd.mcap", CompressionType.ZSTD, "zstd"),
        ("joint_lz4.mcap", CompressionType.LZ4, "lz4"),
        ("joint_none.mcap", CompressionType.NONE, ""),
    ]:
        write_ros2(out / name, comp)
        expected[name] = expected_entry(label, True)
    write_no_summary(out / "no_summary.mcap")
    expected["no_summary.mcap"] = expected_entry("zstd", False)
    expected["ros2idl.mcap"] = write_idl(out / "ros2idl.mcap")
    (out / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
