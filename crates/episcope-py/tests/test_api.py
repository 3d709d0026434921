"""The `episcope` Python package against the official LeRobot datasets (../shared/datasets), the
recording fixtures, and the CLI: same JSON as `episcope … --json`, episode tables equal to what
pyarrow reads from the files itself, conversions that pass the check, errors that name the file,
and the GIL released while the engine works.

Run by scripts/test.sh after `pip install crates/episcope-py` into .tools/py-venv; needs
EPISCOPE_CLI (the `episcope` binary, for the comparisons and the generated dataset).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import episcope

REPO = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("EPISCOPE_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
MCAP = REPO / "crates/episcope-core/tests/fixtures/recordings/mcap/joint_zstd.mcap"
LENGTHS = [120, 180, 240, 150, 300]
DATASETS = [f"v{v}_{kind}" for v in ("20", "21", "30") for kind in ("state_extra", "so101_video", "so101_image")]


def cli() -> str:
    path = os.environ.get("EPISCOPE_CLI")
    assert path and Path(path).is_file(), "set EPISCOPE_CLI to the episcope binary (scripts/test.sh does)"
    return path


def cli_json(*args: str) -> dict:
    out = subprocess.run([cli(), *args], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def test_the_shared_datasets_are_there():
    # These tests must never pass by not running.
    for name in DATASETS:
        assert (SHARED / name / "meta" / "info.json").is_file(), SHARED / name


@pytest.mark.parametrize("name", DATASETS)
def test_info_and_check_give_the_clis_json(name):
    path = SHARED / name
    overview = episcope.info(path)
    assert overview == cli_json("info", str(path), "--json")
    assert overview["episodes"] == 5 and overview["frames"] == sum(LENGTHS)
    report = episcope.check(str(path))
    assert report == cli_json("check", str(path), "--json")
    assert report["summary"]["verdict"] == "pass" and report["summary"]["errors"] == 0


def test_a_recording_is_described_and_checked_like_the_cli_does():
    assert episcope.info(MCAP) == cli_json("info", str(MCAP), "--json")
    report = episcope.check(MCAP)
    assert report == cli_json("check", str(MCAP), "--json")


def test_stats_count_every_frame_and_agree_with_pyarrow():
    path = SHARED / "v21_state_extra"
    stats = episcope.stats(path)
    assert stats == cli_json("stats", str(path), "--json")
    # Independently: observation.state dimension 0 over every data file, by pyarrow.
    files = sorted((path / "data").rglob("*.parquet"))
    values = pa.concat_arrays(
        [pc.list_element(pq.read_table(f, columns=["observation.state"])["observation.state"], 0).combine_chunks()
         for f in files]
    )
    feature = next(f for f in stats["features"] if f["feature"] == "observation.state")
    dim0 = feature["dims"][0]
    assert dim0["count"] == sum(LENGTHS) == len(values)
    assert dim0["min"] == pytest.approx(pc.min(values).as_py(), rel=1e-12)
    assert dim0["max"] == pytest.approx(pc.max(values).as_py(), rel=1e-12)
    assert dim0["mean"] == pytest.approx(pc.mean(values).as_py(), rel=1e-9)


@pytest.mark.parametrize("name", ["v30_state_extra", "v21_state_extra", "v20_state_extra"])
def test_read_episode_equals_pyarrow_reading_the_episode_rows_itself(name):
    path = SHARED / name
    overview = episcope.info(path)
    for episode in range(5):
        table = episcope.read_episode(path, episode)
        assert isinstance(table, pa.Table)
        assert table.num_rows == LENGTHS[episode]
        data_file = path / next(e["data_file"] for e in overview["episode_list"] if e["index"] == episode)
        stored = pq.read_table(data_file)
        stored = stored.filter(pc.equal(stored["episode_index"], episode))
        assert table.column_names == stored.column_names
        for column in table.column_names:
            assert table[column].type == stored[column].type, column
            assert table[column].combine_chunks() == stored[column].combine_chunks(), f"{name} episode {episode} {column}"
    chosen = episcope.read_episode(path, 3, features=["observation.state", "action"])
    assert chosen.column_names[:2] == ["observation.state", "action"]
    assert {"timestamp", "frame_index", "episode_index", "index", "task_index"} <= set(chosen.column_names)
    assert chosen.num_rows == LENGTHS[3]


def test_an_episode_table_crosses_as_an_arrow_stream_once():
    stream = episcope._episcope.read_episode_stream(str(SHARED / "v30_state_extra"), 1, None)
    assert stream.num_rows == LENGTHS[1]
    table = pa.table(stream)
    assert table.num_rows == LENGTHS[1]
    with pytest.raises(ValueError, match="already exported"):
        pa.table(stream)


def test_report_writes_html_in_either_language(tmp_path):
    path = SHARED / "v30_so101_video"
    english = episcope.report(path, html=tmp_path / "report.html")
    assert english["summary"]["verdict"] == "pass" and english["findings"] == []
    assert english["statistics"] is not None
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and 'lang="en"' in html
    episcope.report(path, html=tmp_path / "report-ja.html", lang="ja")
    assert 'lang="ja"' in (tmp_path / "report-ja.html").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="lang"):
        episcope.report(path, lang="fr")


def test_convert_a_dataset_and_a_recording_and_the_outputs_pass_the_check(tmp_path):
    out = tmp_path / "v21_as_v30"
    result = episcope.convert(SHARED / "v21_state_extra", out, data_files_size_in_mb=1)
    assert result["source"] == "LeRobot v2.1"
    assert (result["episodes"], result["frames"]) == (5, sum(LENGTHS))
    assert result["report"]["summary"]["errors"] == 0 and result["report"]["findings"] == []
    assert (out / "meta" / "info.json").is_file()
    assert episcope.check(out)["summary"]["verdict"] == "pass"
    for episode in range(5):
        ours = episcope.read_episode(out, episode, features=["observation.state"])
        source = episcope.read_episode(SHARED / "v21_state_extra", episode, features=["observation.state"])
        assert ours["observation.state"].combine_chunks() == source["observation.state"].combine_chunks()

    recorded = tmp_path / "mcap_as_v30"
    result = episcope.convert(MCAP, recorded)
    assert result["frames"] == 91 and result["report"]["summary"]["errors"] == 0
    assert "[[feature]]" in result["mapping"]


def test_errors_are_python_exceptions_that_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="/no/such/dataset"):
        episcope.info("/no/such/dataset")
    # A data file cut short: reading its episode fails and names it.
    broken = tmp_path / "broken"
    shutil.copytree(SHARED / "v21_state_extra", broken)
    data_file = sorted((broken / "data").rglob("*.parquet"))[0]
    data_file.write_bytes(data_file.read_bytes()[:100])
    with pytest.raises(episcope.EpiscopeError) as caught:
        episcope.read_episode(broken, 0)
    assert caught.value.path is not None and caught.value.path.endswith(data_file.name), caught.value
    assert data_file.name in str(caught.value)
    # The checker does not raise: it reports.
    report = episcope.check(broken)
    assert report["summary"]["errors"] > 0
    # Converting into a folder that is not empty is refused, and nothing is written there.
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    with pytest.raises(episcope.EpiscopeError, match="not empty"):
        episcope.convert(SHARED / "v21_state_extra", used)
    assert [p.name for p in used.iterdir()] == ["keep.txt"]
    with pytest.raises(episcope.EpiscopeError, match="mapping is for recordings"):
        episcope.convert(SHARED / "v21_state_extra", tmp_path / "mapped", mapping=MCAP)


@pytest.fixture(scope="module")
def large_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("large") / "ds"
    subprocess.run([cli(), "generate", "--frames", "600000", "--out", str(out)], check=True, capture_output=True)
    return out


def test_the_gil_is_released_while_the_engine_works(large_dataset):
    """While `stats` runs in another thread, this thread keeps getting the interpreter: the
    longest pause between its steps is a small part of the call (holding the GIL would make it the
    whole call)."""
    done = threading.Event()
    durations = []

    def work():
        started = time.perf_counter()
        episcope.stats(large_dataset)
        durations.append(time.perf_counter() - started)
        done.set()

    thread = threading.Thread(target=work)
    longest_gap = 0.0
    last = time.perf_counter()
    thread.start()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest_gap = max(longest_gap, now - last)
        last = now
    thread.join()
    assert durations[0] > 0.3, f"the call took {durations[0]:.3f} s: too short to tell"
    assert longest_gap < durations[0] / 4, f"longest pause {longest_gap:.3f} s during a {durations[0]:.3f} s call"


def _statistics_only(stats: dict) -> dict:
    """What is not a statistic (bytes read, the accumulators' peak memory) left out."""
    stats = json.loads(json.dumps(stats))
    stats["bytes_read"] = 0
    for feature in stats["features"]:
        feature["peak_retained_values"] = 0
    return stats


@pytest.mark.parametrize("name", ["v21_so101_video", "v30_state_extra"])
def test_shards_merge_into_the_unsharded_report_and_statistics(name, tmp_path):
    path = SHARED / name
    whole = episcope.check(path)
    whole_stats = _statistics_only(episcope.stats(path))
    for n in (1, 2, 3):
        parts = [episcope.check(path, shard=(k, n)) for k in range(n)]
        assert all(p["part"]["kind"] == "check" for p in parts)
        assert episcope.merge(list(reversed(parts))) == whole
        stats_parts = [episcope.stats(path, shard=(k, n)) for k in range(n)]
        assert _statistics_only(episcope.merge(stats_parts)) == whole_stats
    # Merged in two steps (a part of parts), and the same as the CLI's merge of the CLI's parts.
    parts = [episcope.check(path, shard=(k, 3)) for k in range(3)]
    joined = episcope.merge(parts[:2], as_part=True)
    assert episcope.merge([parts[2], joined]) == whole
    files = []
    for k in range(3):
        out = tmp_path / f"part-{k}.json"
        subprocess.run([cli(), "check", str(path), "--shard", f"{k}/3", "--partial", str(out)], check=True)
        files.append(str(out))
    assert cli_json("merge", *files, "--json") == whole
    assert episcope.merge([json.loads(Path(f).read_text()) for f in files]) == whole


def test_incomplete_or_mismatched_parts_are_refused():
    path = SHARED / "v21_state_extra"
    parts = [episcope.check(path, shard=(k, 3)) for k in range(3)]
    with pytest.raises(ValueError, match="shards 1 of 3 are missing"):
        episcope.merge([parts[0], parts[2]])
    with pytest.raises(ValueError, match="shard 0/3 is in more than one part"):
        episcope.merge([parts[0], parts[0]])
    with pytest.raises(ValueError, match="cannot be merged together"):
        episcope.merge([parts[0], episcope.stats(path, shard=(1, 3))])
    with pytest.raises(ValueError, match="K/N with 0"):
        episcope.check(path, shard=(3, 3))
