"""The Python peers on the recording benchmark's files, in one run: opening big.mcap's summary
(mcap's make_reader().get_summary(), forge-robotics' inspect_mcap) — time and bytes read (the
process's rchar from /proc/self/io) — and decoding joints.mcap's JointState messages with
mcap-ros2-support's decoder and forge-robotics' MCAPReader.read_episodes (its own generated topic
config: /joint_states position -> observation.state; every frame of the episode consumed), in
messages/s.

Usage: python peers.py DIR (holding big.mcap and joints.mcap from make_big_mcap.py).
"""

import sys
import time
from pathlib import Path


def rchar():
    for line in open("/proc/self/io"):
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def measure(label, fn, size):
    best = None
    for _ in range(3):
        before, start = rchar(), time.perf_counter()
        fn()
        elapsed, read = time.perf_counter() - start, rchar() - before
        if best is None or elapsed < best[0]:
            best = (elapsed, read)
    print(f"{label}: {best[0] * 1e3:.1f} ms, {best[1]} bytes read ({best[1] * 100 / size:.4f}% of {size})")


def main():
    d = Path(sys.argv[1])
    big = d / "big.mcap"
    size = big.stat().st_size
    from mcap.reader import make_reader

    def mcap_summary():
        with open(big, "rb") as f:
            summary = make_reader(f).get_summary()
            assert summary is not None and len(summary.channels) == 2

    measure("mcap (python) get_summary", mcap_summary, size)
    try:
        from forge.formats.mcap.inspect import inspect_mcap

        measure("forge-robotics inspect_mcap", lambda: inspect_mcap(big), size)
    except Exception as e:  # report, do not hide
        print(f"forge-robotics inspect_mcap: failed: {e!r}")

    from mcap_ros2.decoder import DecoderFactory

    joints = d / "joints.mcap"
    for _ in range(2):
        start = time.perf_counter()
        n = 0
        with open(joints, "rb") as f:
            reader = make_reader(f, decoder_factories=[DecoderFactory()])
            for _, _, _, msg in reader.iter_decoded_messages(topics=["/joint_states"]):
                assert len(msg.position) == 7
                n += 1
        elapsed = time.perf_counter() - start
    print(f"mcap-ros2-support decode JointState: {n} messages in {elapsed:.2f} s = {n / elapsed:,.0f} messages/s")

    try:
        from forge.formats.mcap.reader import MCAPReader

        for _ in range(2):
            start = time.perf_counter()
            frames = 0
            for episode in MCAPReader().read_episodes(joints):
                for frame in episode.frames():
                    assert len(frame.state) == 7
                    frames += 1
            elapsed = time.perf_counter() - start
        print(f"forge-robotics read_episodes JointState: {frames} frames in {elapsed:.2f} s = {frames / elapsed:,.0f} messages/s")
    except Exception as e:  # report, do not hide
        print(f"forge-robotics read_episodes: failed: {e!r}")


if __name__ == "__main__":
    main()
