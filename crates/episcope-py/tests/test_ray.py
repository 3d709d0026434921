"""`episcope.ray` on a real Ray cluster started on loopback by the test: a head node (no CPUs, so it
runs no task) and two worker nodes, all on 127.0.0.1. The merged reports and statistics of sharded
runs equal the single-process ones, and the tasks ran on both workers.

Run by scripts/test.sh (Ray is pinned in tests/requirements.txt).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

# Every node on loopback: with this, Ray takes 127.0.0.1 as the node address instead of the
# address it would route to the internet from (read when `ray` is imported).
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import pytest  # noqa: E402
import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

import episcope  # noqa: E402
import episcope.ray  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("EPISCOPE_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
NAMES = ["v20_state_extra", "v21_so101_video", "v30_state_extra", "v30_so101_image"]


@pytest.fixture(scope="module")
def cluster():
    head = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    workers = [head.add_node(num_cpus=1) for _ in range(2)]
    head.wait_for_nodes()
    ray.init(address=head.address, logging_level="ERROR", log_to_driver=False)
    yield workers
    ray.shutdown()
    head.shutdown()


def _statistics_only(stats: dict) -> dict:
    stats = dict(stats, bytes_read=0)
    stats["features"] = [dict(f, peak_retained_values=0) for f in stats["features"]]
    return stats


def test_the_cluster_is_a_head_and_two_workers_on_loopback(cluster):
    alive = [n for n in ray.nodes() if n["Alive"]]
    assert len(alive) == 3
    assert {n["NodeManagerAddress"] for n in alive} == {"127.0.0.1"}
    assert sorted(n["Resources"].get("CPU", 0) for n in alive) == [0, 1, 1]


def test_check_many_in_shards_equals_the_single_process_reports(cluster, tmp_path):
    paths = [SHARED / name for name in NAMES]
    html = tmp_path / "dashboard.html"
    result = episcope.ray.check_many(paths, shards_per_dataset=3, html=html)
    assert result["reports"] == [episcope.check(p) for p in paths]
    assert [row["name"] for row in result["comparison"]] == NAMES
    assert all(row["verdict"] == "pass" for row in result["comparison"])
    page = html.read_text(encoding="utf-8")
    assert all(name in page for name in NAMES)


def test_stats_many_in_shards_equals_the_single_process_statistics(cluster):
    paths = [SHARED / name for name in NAMES]
    merged = episcope.ray.stats_many(paths, shards_per_dataset=4)
    assert [_statistics_only(s) for s in merged] == [_statistics_only(episcope.stats(p)) for p in paths]


def test_the_shards_run_on_both_workers(cluster):
    @ray.remote(num_cpus=1)
    def node_of_a_shard(path, k):
        episcope.check(path, shard=(k, 8))
        # Held long enough that the other shards cannot all wait for this worker's one CPU (a
        # shard of this small dataset takes milliseconds; the scheduler then spreads them).
        time.sleep(1.0)
        return ray.get_runtime_context().get_node_id()

    path = str(SHARED / "v21_so101_video")
    nodes = set(ray.get([node_of_a_shard.remote(path, k) for k in range(8)]))
    assert len(nodes) == 2, nodes
