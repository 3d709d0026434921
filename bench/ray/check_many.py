"""Ray benchmark (issue 14, item 4; BENCHMARKS.md "Checks on a Ray cluster"): `episcope.ray.check_many`
of the `2m` preset and of 20 generated 100k-frame datasets, on a local cluster of a head node (no
CPUs) and 1, then 2, worker nodes of one CPU each; beside it, in the same run, `episcope check`
single-process (the release CLI) and `episcope.check` in this process. Every figure is the median
of 3 wall-clock runs; the cluster's start is timed apart. Every merged report is compared with the
single-process one (they must be equal).

Usage (bench/ray/run.sh does all of it): python check_many.py EPISCOPE_CLI DATA_DIR
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # every node on 127.0.0.1
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

import episcope  # noqa: E402
import episcope.ray  # noqa: E402

REPS = 3


def timed(fn):
    times = []
    result = None
    for _ in range(REPS):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def main() -> None:
    cli, data = sys.argv[1], Path(sys.argv[2])
    big = data / "2m"
    many = sorted(p for p in data.glob("100k-*") if (p / "meta/info.json").is_file())
    assert (big / "meta/info.json").is_file() and len(many) == 20, (big, len(many))
    print(f"load at start: {os.getloadavg()}")
    cases = [("2m preset", [big], 4), ("20 × 100k datasets", many, 1)]
    results = {}
    for name, paths, shards in cases:
        def cli_check():
            for p in paths:
                out = subprocess.run([cli, "check", str(p), "--json"], capture_output=True, text=True)
                assert out.returncode == 0, out.stderr
        median, runs, _ = timed(cli_check)
        results[(name, "episcope check (CLI, one process)")] = (median, runs)
        median, runs, single = timed(lambda: [episcope.check(p) for p in paths])
        results[(name, "episcope.check (Python, one process)")] = (median, runs)
        for workers in (1, 2):
            start = time.perf_counter()
            head = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
            for _ in range(workers):
                head.add_node(num_cpus=1)
            head.wait_for_nodes()
            ray.init(address=head.address, logging_level="ERROR", log_to_driver=False)
            started = time.perf_counter() - start
            # Warm the workers (import episcope once) before timing.
            episcope.ray.check_many(paths[:1], shards_per_dataset=1)
            median, runs, merged = timed(lambda: episcope.ray.check_many(paths, shards_per_dataset=shards))
            assert merged["reports"] == single, "merged reports differ from the single-process ones"
            results[(name, f"check_many, {workers} worker(s), {shards} shard(s) per dataset")] = (median, runs)
            print(f"{name}: cluster with {workers} worker(s) started in {started:.1f} s")
            ray.shutdown()
            head.shutdown()
    print(f"load at end: {os.getloadavg()}")
    print("| input | how | median wall (3 runs) | runs |")
    print("|---|---|---|---|")
    for (name, how), (median, runs) in results.items():
        print(f"| {name} | {how} | {median:.2f} s | {', '.join(f'{r:.2f}' for r in runs)} |")
    with open(data / "ray-bench.json", "w") as out:
        json.dump({f"{k[0]} / {k[1]}": v for k, v in results.items()}, out, indent=1)


if __name__ == "__main__":
    main()
