"""Datasets at URLs, against real protocol servers on loopback started here: an S3 emulator (moto's server, from
PyPI) and an HTTP server that is both a static host (Range, HEAD, no listing) and shaped like the Hugging Face
Hub (tree listing with pagination, resolve URLs that redirect, gated repositories, rate limits) — tests/servers.py.

Each URL must give the report, statistics and overview that the same dataset gives from the local disk, through
the Python package and the CLI; opening reads metadata only (never a data or video file); credentials never
appear in any output.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import episcope
from servers import Repo, WebHost

REPO = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("EPISCOPE_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
HUB_TOKEN = "hf_test_token_never_shown_7f3a"
S3_SECRET = "s3-secret-never-shown-91c2"


def cli() -> str:
    path = os.environ.get("EPISCOPE_CLI")
    assert path and Path(path).is_file(), "set EPISCOPE_CLI to the episcope binary (scripts/test.sh does)"
    return path


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([cli(), *args], capture_output=True, text=True, env={**os.environ, **(env or {})})


def renamed(report: dict, name: str) -> dict:
    """The report with the dataset's name replaced (a Hub id names the dataset, not its folder)."""
    copy = json.loads(json.dumps(report))
    copy["dataset"]["name"] = name
    return copy


@pytest.fixture(scope="module")
def host():
    web = WebHost(SHARED).start()
    web.repos["jp-consortium/so101-video"] = Repo(SHARED / "v30_so101_video", revisions=("main", "v1.0"))
    web.repos["jp-consortium/so101-v21"] = Repo(SHARED / "v21_so101_video")
    web.repos["jp-consortium/gated"] = Repo(SHARED / "v30_state_extra", token=HUB_TOKEN)
    web.repos["jp-consortium/monorepo"] = Repo(SHARED)
    web.repos["jp-consortium/busy"] = Repo(SHARED / "v30_so101_image")
    yield web
    web.stop()


@pytest.fixture()
def hub_env(host, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", host.base)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / "episcope-no-hf-home"))
    host.log.clear()
    return {"HF_ENDPOINT": host.base, "HF_HOME": os.environ["HF_HOME"]}


def test_a_hub_dataset_gives_the_local_report_statistics_and_overview(host, hub_env):
    local = SHARED / "v30_so101_video"
    url = "hf://datasets/jp-consortium/so101-video"
    report = episcope.check(url)
    assert report["summary"]["verdict"] == "pass"
    assert report == renamed(episcope.check(str(local)), "so101-video")
    assert episcope.stats(url) == episcope.stats(str(local))
    overview = episcope.info(url)
    local_overview = episcope.info(str(local))
    assert overview["name"] == "so101-video"
    assert {**overview, "name": local_overview["name"]} == local_overview
    # The listing was paginated (4 entries a page, 12 entries): every page was followed.
    pages = [r for r in host.log if r.path.startswith("/api/datasets/jp-consortium/so101-video/tree/")]
    assert len(pages) >= 3 * 3, pages
    # Reads went through the resolve URLs and their redirects, as ranges.
    assert any(r.status == 302 for r in host.log)
    file_reads = [r for r in host.fetched() if r.path.startswith("/cdn/")]
    assert file_reads and all(r.range for r in file_reads), [r for r in file_reads if not r.range]
    # The CLI says the same.
    out = run_cli("check", url, "--json", env=hub_env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == report


def test_opening_a_remote_dataset_reads_only_its_metadata(host, hub_env):
    for url, prefix in [
        ("hf://datasets/jp-consortium/so101-video", "/cdn/"),
        (f"{host.base}/static/v30_so101_video", "/static/"),
        (f"{host.base}/static/v21_so101_video", "/static/"),
    ]:
        host.log.clear()
        overview = episcope.info(url)
        assert overview["episodes"] == 5 and overview["frames"] == 990
        fetched = [r.path for r in host.fetched() if r.path.startswith(prefix)]
        assert fetched, url
        assert all("/meta/" in p or p.endswith("/README.md") for p in fetched), (url, fetched)


def test_a_hub_revision_and_a_folder_inside_a_repository(host, hub_env):
    tagged = episcope.check("hf://datasets/jp-consortium/so101-video@v1.0")
    assert tagged["summary"]["verdict"] == "pass"
    inside = episcope.check("hf://datasets/jp-consortium/monorepo/v21_so101_video")
    assert inside == episcope.check(str(SHARED / "v21_so101_video"))
    with pytest.raises(episcope.EpiscopeError, match=r"no such dataset or revision.*so101-video@v9"):
        episcope.info("hf://datasets/jp-consortium/so101-video@v9")


def test_gated_missing_and_rate_limited_hub_datasets(host, hub_env, monkeypatch):
    with pytest.raises(episcope.EpiscopeError) as refused:
        episcope.check("hf://datasets/jp-consortium/gated")
    assert "gated or private" in str(refused.value) and "HF_TOKEN" in str(refused.value)
    monkeypatch.setenv("HF_TOKEN", "hf_wrong_token_also_secret")
    with pytest.raises(episcope.EpiscopeError, match="the token sent was refused") as wrong:
        episcope.check("hf://datasets/jp-consortium/gated")
    assert "hf_wrong_token_also_secret" not in str(wrong.value)
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    host.log.clear()
    report = episcope.check("hf://datasets/jp-consortium/gated")
    assert report == renamed(episcope.check(str(SHARED / "v30_state_extra")), "gated")
    hub_requests = [r for r in host.log if r.path.startswith("/api/") or "/resolve/" in r.path]
    assert hub_requests and all(r.authorized for r in hub_requests)
    # The token goes to the Hub only, not on to the file store it redirects to.
    assert not any(r.authorized for r in host.log if r.path.startswith("/cdn/"))
    # The CLI with the token: the report, and the token nowhere in what it printed; without: exit 2, one line.
    out = run_cli("check", "hf://datasets/jp-consortium/gated", env={**hub_env, "HF_TOKEN": HUB_TOKEN})
    assert out.returncode == 0, out.stderr
    assert HUB_TOKEN not in out.stdout + out.stderr
    out = run_cli("info", "hf://datasets/jp-consortium/gated", env={**hub_env, "HF_TOKEN": "hf_bad_token_xyz1"})
    assert out.returncode == 2
    assert "hf_bad_token_xyz1" not in out.stdout + out.stderr
    assert out.stderr.count("\n") == 1 and "the token sent was refused" in out.stderr
    monkeypatch.delenv("HF_TOKEN")

    with pytest.raises(episcope.EpiscopeError, match=r"no such dataset or revision on the Hub \(HTTP 404\)"):
        episcope.info("hf://datasets/jp-consortium/does-not-exist")
    host.repos["jp-consortium/busy"].rate_limited_requests = 2
    assert episcope.info("hf://datasets/jp-consortium/busy")["episodes"] == 5
    assert sum(r.status == 429 for r in host.log) == 2
    host.repos["jp-consortium/busy"].rate_limited_requests = 100
    with pytest.raises(episcope.EpiscopeError, match="rate-limiting"):
        episcope.info("hf://datasets/jp-consortium/busy")
    host.repos["jp-consortium/busy"].rate_limited_requests = 0


@pytest.mark.parametrize("name", ["v20_so101_video", "v21_so101_video", "v30_so101_video", "v30_state_extra"])
def test_a_static_host_without_a_listing_gives_the_local_report(host, name):
    url = f"{host.base}/static/{name}"
    report = episcope.check(url)
    assert report == episcope.check(str(SHARED / name))
    assert episcope.stats(url) == episcope.stats(str(SHARED / name))


def test_a_missing_dataset_or_file_on_a_static_host_is_said_plainly(host, tmp_path):
    with pytest.raises(episcope.EpiscopeError, match="nothing there"):
        episcope.info(f"{host.base}/static/no-such-dataset")
    out = run_cli("check", f"{host.base}/static/no-such-dataset")
    assert out.returncode == 2 and "nothing there" in out.stderr and out.stderr.count("\n") == 1


@pytest.fixture(scope="module")
def s3():
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "AKIAEPISCOPETEST",
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "AWS_REGION": "us-east-1",
    }
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_SECRET,
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="fleet")
    for name in ["v21_so101_video", "v30_so101_video", "v30_state_extra"]:
        for path in sorted((SHARED / name).rglob("*")):
            if path.is_file():
                client.upload_file(str(path), "fleet", f"lerobot/{name}/{path.relative_to(SHARED / name).as_posix()}")
    # A recording alone, by its key.
    mcap = REPO / "crates/episcope-core/tests/fixtures/recordings/mcap/joint_zstd.mcap"
    client.upload_file(str(mcap), "fleet", "recordings/joint_zstd.mcap")
    yield env
    server.stop()


@pytest.fixture()
def s3_env(s3, monkeypatch):
    for key, value in s3.items():
        monkeypatch.setenv(key, value)
    return s3


@pytest.mark.parametrize("name", ["v21_so101_video", "v30_so101_video", "v30_state_extra"])
def test_an_s3_dataset_gives_the_local_report_statistics_and_overview(s3_env, name):
    url = f"s3://fleet/lerobot/{name}"
    local = str(SHARED / name)
    assert episcope.check(url) == episcope.check(local)
    assert episcope.stats(url) == episcope.stats(local)
    assert episcope.info(url) == episcope.info(local)
    out = run_cli("check", url + "/", "--json", env=s3_env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == episcope.check(local)
    assert S3_SECRET not in out.stdout + out.stderr


def test_s3_shards_merge_and_a_recording_is_read_by_its_key(s3_env, tmp_path):
    url = "s3://fleet/lerobot/v30_state_extra"
    parts = []
    for k in range(2):
        part = tmp_path / f"part-{k}.json"
        out = run_cli("check", url, "--shard", f"{k}/2", "--partial", str(part), env=s3_env)
        assert out.returncode == 0, out.stderr
        assert json.loads(part.read_text())["source"] == url
        parts.append(str(part))
    # The merge re-opens the dataset the parts name: the URL.
    out = run_cli("merge", *parts, "--json", env=s3_env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == episcope.check(str(SHARED / "v30_state_extra"))
    python_parts = [episcope.check(url, shard=(k, 3)) for k in range(3)]
    assert episcope.merge(python_parts) == episcope.check(url)

    recording = episcope.info("s3://fleet/recordings/joint_zstd.mcap")
    local = episcope.info(str(REPO / "crates/episcope-core/tests/fixtures/recordings/mcap/joint_zstd.mcap"))
    assert recording == local


def test_s3_errors_name_the_url_and_never_the_credentials(s3_env):
    with pytest.raises(episcope.EpiscopeError) as missing:
        episcope.info("s3://no-such-bucket/ds")
    assert "s3://no-such-bucket/ds" in str(missing.value)
    assert S3_SECRET not in str(missing.value)
    with pytest.raises(episcope.EpiscopeError, match="nothing there"):
        episcope.info("s3://fleet/lerobot/not-uploaded")
    out = run_cli("check", "s3://no-such-bucket/ds", env={**s3_env, "AWS_SECRET_ACCESS_KEY": S3_SECRET})
    assert out.returncode == 2 and S3_SECRET not in out.stdout + out.stderr
