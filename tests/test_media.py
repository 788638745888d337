"""Rich values (Image, Video, Audio, Table, Histogram): logged, stored, read back, served."""

import json
import sqlite3
import struct
import urllib.error
import urllib.request
import wave
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest

import trackio
from trackio.storage.sqlite.schema import MIGRATIONS


def fetch(server, route, **params):
    url = server.url + route + ("?" + urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.headers.get("content-type"), response.read()


def png_size(path):
    with open(path, "rb") as handle:
        header = handle.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_each_kind_round_trips_through_the_api(read_run, tmp_path):
    pixels = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)
    source = tmp_path / "photo.png"
    from PIL import Image as PILImage

    PILImage.fromarray(pixels).save(source)
    run = trackio.init(project="kinds", name="r")
    run.log(
        {
            "array": trackio.Image(pixels, caption="an array"),
            "chw": trackio.Image(np.zeros((3, 8, 5), dtype=np.float32)),
            "pil": trackio.Image(PILImage.fromarray(pixels)),
            "file": trackio.Image(str(source)),
            "video": trackio.Video(np.zeros((4, 3, 10, 12), dtype=np.uint8), fps=2),
            "gif": trackio.Video(np.zeros((2, 4, 3, 6, 6), dtype=np.uint8), format="gif"),
            "audio": trackio.Audio(np.sin(np.arange(800) / 5), sample_rate=8000),
            "hist": trackio.Histogram(np_histogram=(np.array([1, 2, 3]), np.array([0.0, 1, 2, 3]))),
            "loss": 0.5,
        }
    )
    run.finish()
    (row,) = read_run("kinds").history()
    assert row["loss"] == 0.5
    assert row["array"]["_type"] == "image" and row["array"]["caption"] == "an array"
    assert png_size(row["array"]["path"]) == (30, 20)
    assert png_size(row["chw"]["path"]) == (5, 8)
    assert png_size(row["pil"]["path"]) == (30, 20)
    assert row["file"]["path"].endswith(".png") and row["file"]["width"] == 30
    assert row["video"]["format"] == "mp4" and row["video"]["fps"] == 2
    assert Path(row["video"]["path"]).read_bytes()[4:8] == b"ftyp"
    assert Path(row["gif"]["path"]).read_bytes()[:6] == b"GIF89a"
    with wave.open(row["audio"]["path"]) as sound:
        assert (sound.getframerate(), sound.getnframes(), sound.getsampwidth()) == (8000, 800, 2)
    assert row["hist"] == {
        "_type": "histogram",
        "path": None,
        "caption": None,
        "edges": [0.0, 1.0, 2.0, 3.0],
        "counts": [1.0, 2.0, 3.0],
    }


def test_trl_table_with_a_column_of_image_lists(read_run):
    pandas = pytest.importorskip("pandas")
    picture = np.full((4, 4, 3), 200, dtype=np.uint8)
    frame = pandas.DataFrame(
        {
            "prompt": ["a <b>cat</b>", "a dog"],
            "reward": [0.5, float("nan")],
            "images": [[trackio.Image(picture), trackio.Image(picture)], []],
        }
    )
    trackio.init(project="trl", name="r")
    trackio.log({"completions": trackio.Table(dataframe=frame)}, step=7)
    trackio.finish()
    (row,) = read_run("trl").history()
    assert row["step"] == 7
    table = row["completions"]
    assert table["_type"] == "table" and table["rows"] == 2
    document = json.loads(Path(table["path"]).read_text())
    assert document["columns"] == ["prompt", "reward", "images"]
    first, second = document["data"]
    assert first[0] == "a <b>cat</b>" and second[1] is None
    assert [cell["_type"] for cell in first[2]] == ["image", "image"]
    assert second[2] == []


def test_histogram_from_values_and_lists_of_images(read_run):
    trackio.init(project="mixed", name="r")
    values = np.random.default_rng(0).normal(size=10_000)
    trackio.log({"weights": trackio.Histogram(values, num_bins=10)})
    trackio.log({"samples": [trackio.Image(np.zeros((2, 2))), trackio.Image(np.ones((2, 2)))]})
    trackio.finish()
    rows = read_run("mixed").history()
    assert sum(rows[0]["weights"]["counts"]) == 10_000
    assert len(rows[0]["weights"]["edges"]) == 11
    assert [item["_type"] for item in rows[1]["samples"]] == ["image", "image"]


def test_bad_media_input_is_a_clear_error_and_nothing_is_lost(read_run):
    trackio.init(project="badmedia", name="r")
    trackio.log({"loss": 1.0})
    with pytest.raises(ValueError, match="shape"):
        trackio.Image(np.zeros((2, 3, 7, 9)))
    with pytest.raises(ValueError, match="sample_rate"):
        trackio.Audio(np.zeros(10))
    with pytest.raises(FileNotFoundError):
        trackio.Image("/nonexistent/picture.png")
    with pytest.raises(ValueError, match="pixels"):
        trackio.Image(np.zeros((20_000, 6_000), dtype=np.uint8))
    trackio.log({"loss": 2.0})
    trackio.finish()
    assert [r["loss"] for r in read_run("badmedia").history()] == [1.0, 2.0]


def test_a_50_megabyte_image_is_stored_whole(read_run):
    big = np.random.default_rng(1).integers(0, 255, size=(4096, 4096, 3), dtype=np.uint8)
    assert big.nbytes > 50_000_000
    trackio.init(project="big", name="r")
    trackio.log({"big": trackio.Image(big)})
    trackio.finish()
    (row,) = read_run("big").history()
    from PIL import Image as PILImage

    with PILImage.open(row["big"]["path"]) as stored:
        assert np.array_equal(np.asarray(stored), big)


def test_captions_and_keys_never_choose_file_names(trackio_dir, read_run):
    trackio.init(project="names", name="r")
    trackio.log({"../../escape": trackio.Image(np.zeros((2, 2)), caption="../../../etc/x")})
    trackio.finish()
    (row,) = read_run("names").history()
    path = row["../../escape"]["path"]
    assert path.startswith(str(trackio_dir / "names.media"))
    assert sorted(p.name for p in trackio_dir.iterdir()) == [
        "names.db",
        "names.db-shm",
        "names.db-wal",
        "names.media",
    ]


def test_deleting_a_run_or_project_removes_its_media(trackio_dir):
    for name in ("keep", "drop"):
        trackio.init(project="gone", name=name)
        trackio.log({"img": trackio.Image(np.zeros((2, 2)))})
        trackio.finish()
    runs = {r.name: r for r in trackio.Api().runs("gone")}
    drop_path = runs["drop"].history()[0]["img"]["path"]
    keep_path = runs["keep"].history()[0]["img"]["path"]
    runs["drop"].delete()
    assert not (trackio_dir / "gone.media" / runs["drop"].id).exists()
    assert not Path(drop_path).exists()
    assert Path(keep_path).exists()
    trackio.Api().delete_project("gone")
    assert not (trackio_dir / "gone.media").exists()


def test_media_api_lists_pages_sorts_and_serves_files(server):
    run = trackio.init(project="served", name="r")
    for step in range(3):
        run.log(
            {"img": trackio.Image(np.full((3, 4), step * 100, dtype=np.uint8), caption=f"s{step}")}
        )
    rows = [[i, f"text {i}", trackio.Image(np.zeros((2, 2)))] for i in range(250)]
    run.log({"tab": trackio.Table(columns=["n", "label", "pic"], data=rows)})
    run.finish()

    _, body = fetch(server, "api/media", project="served", kind="image")
    items = json.loads(body)["media"]
    assert [(i["key"], i["step"], i["caption"]) for i in items] == [
        ("img", 0, "s0"),
        ("img", 1, "s1"),
        ("img", 2, "s2"),
    ]
    assert items[0]["meta"] == {"width": 4, "height": 3, "format": "png"}
    content_type, png = fetch(server, items[2]["url"])
    assert content_type == "image/png" and png[:8] == b"\x89PNG\r\n\x1a\n"

    _, body = fetch(
        server,
        "api/table",
        project="served",
        run=run.id,
        key="tab",
        offset=240,
        limit=20,
        sort="n",
        desc=1,
    )
    page = json.loads(body)
    assert page["total"] == 250 and page["columns"] == ["n", "label", "pic"]
    assert [r[0] for r in page["rows"]] == list(range(9, -1, -1))
    picture = page["rows"][0][2]
    assert picture["kind"] == "image"
    content_type, _ = fetch(server, picture["url"])
    assert content_type == "image/png"


@pytest.mark.parametrize(
    "path", ["../served.db", "../../etc/passwd", "/etc/passwd", "x/../../served.db", "nope.png"]
)
def test_files_outside_the_media_folder_are_refused(server, path):
    trackio.init(project="served", name="r")
    trackio.log({"img": trackio.Image(np.zeros((2, 2)))})
    trackio.finish()
    with pytest.raises(urllib.error.HTTPError) as caught:
        fetch(server, "api/file", project="served", path=path)
    assert caught.value.code == 404


def test_a_version_1_database_migrates_forward_and_keeps_its_data(trackio_dir, read_run):
    trackio.init(project="old", name="r")
    trackio.log({"loss": 0.25})
    trackio.finish()
    conn = sqlite3.connect(trackio_dir / "old.db")
    conn.execute("DROP TABLE media")
    conn.execute("DROP TABLE run_changes")
    conn.execute("DROP TABLE ingested_batches")
    conn.execute("DROP TABLE alerts")
    for column in ("heartbeat_at", "pid", "host", "change_seq", "config_seq"):
        conn.execute(f"ALTER TABLE runs DROP COLUMN {column}")
    conn.execute("UPDATE trackio_meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    assert len(MIGRATIONS) >= 2

    trackio.init(project="old", name="r", resume="allow")
    trackio.log({"img": trackio.Image(np.zeros((2, 2)))})
    trackio.finish()
    rows = read_run("old").history()
    assert rows[0]["loss"] == 0.25 and rows[1]["img"]["_type"] == "image"
    conn = sqlite3.connect(trackio_dir / "old.db")
    version = conn.execute("SELECT value FROM trackio_meta WHERE key='schema_version'").fetchone()
    conn.close()
    assert version == (str(len(MIGRATIONS)),)


def test_torch_tensor_images_without_trackio_importing_torch(read_run):
    torch = pytest.importorskip("torch")
    trackio.init(project="tensors", name="r")
    trackio.log({"chw": trackio.Image(torch.ones(3, 6, 9)), "hw": trackio.Image(torch.zeros(4, 2))})
    trackio.finish()
    (row,) = read_run("tensors").history()
    assert png_size(row["chw"]["path"]) == (9, 6)
    assert png_size(row["hw"]["path"]) == (2, 4)


def test_a_broken_media_object_costs_only_itself(read_run, tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"\x89PNG but not really an image")
    trackio.init(project="broken", name="r")
    with pytest.warns(RuntimeWarning, match="skipped the image"):
        trackio.log({"loss": 1.0, "bad": trackio.Image(str(fake))})
        trackio.log({"loss": 2.0})
        trackio.finish()
    rows = read_run("broken").history()
    assert [r["loss"] for r in rows] == [1.0, 2.0]
    assert all("bad" not in r for r in rows)


def test_a_file_overwritten_after_logging_keeps_each_steps_picture(read_run, tmp_path):
    from PIL import Image as PILImage

    plot = tmp_path / "plot.png"
    trackio.init(project="plots", name="r")
    for step in range(3):
        PILImage.fromarray(np.full((4, 4), step * 100, dtype=np.uint8)).save(plot)
        trackio.log({"plot": trackio.Image(str(plot))})
    trackio.finish()
    stored = [
        int(np.asarray(PILImage.open(r["plot"]["path"])).mean())
        for r in read_run("plots").history()
    ]
    assert stored == [0, 100, 200]


def test_a_table_changed_after_logging_is_stored_as_logged(read_run):
    table = trackio.Table(columns=["n", "tags"])
    table.add_data(1, ["a"])
    trackio.init(project="snap", name="r")
    trackio.log({"t": table}, step=0)
    table.add_data(2, ["b"])
    table.data[0][0] = 99
    table.data[0][1].append("z")
    trackio.log({"t": table}, step=1)
    trackio.finish()
    rows = read_run("snap").history()
    first, second = (json.loads(Path(r["t"]["path"]).read_text())["data"] for r in rows)
    assert first == [[1, ["a"]]]
    assert second == [[99, ["a", "z"]], [2, ["b"]]]


def test_bool_images_nested_table_media_and_single_item_lists(read_run):
    trackio.init(project="shapes", name="r")
    trackio.log(
        {
            "mask": trackio.Image(np.eye(4, dtype=bool)),
            "one": [trackio.Image(np.zeros((2, 2)))],
            "tab": trackio.Table(
                columns=["cell"], data=[[{"pic": trackio.Image(np.ones((2, 2)))}]]
            ),
        }
    )
    trackio.finish()
    (row,) = read_run("shapes").history()
    from PIL import Image as PILImage

    assert np.asarray(PILImage.open(row["mask"]["path"])).max() == 255
    assert isinstance(row["one"], list) and row["one"][0]["_type"] == "image"
    (cell,) = json.loads(Path(row["tab"]["path"]).read_text())["data"][0]
    assert cell["pic"]["_type"] == "image" and cell["pic"]["path"].endswith(".png")


def test_audio_of_integer_and_channels_first_samples(read_run):
    trackio.init(project="sound", name="r")
    loud = np.array([2**30, -(2**30), 0], dtype=np.int32)
    trackio.log(
        {
            "int32": trackio.Audio(loud, sample_rate=100),
            "stereo": trackio.Audio(np.zeros((2, 50)), sample_rate=100),
        }
    )
    trackio.finish()
    (row,) = read_run("sound").history()
    with wave.open(row["int32"]["path"]) as sound:
        samples = np.frombuffer(sound.readframes(3), "<i2")
    assert samples[0] > 16000 and samples[1] < -16000 and samples[2] == 0
    with wave.open(row["stereo"]["path"]) as sound:
        assert (sound.getnchannels(), sound.getnframes()) == (2, 50)


def test_histogram_input_is_checked_when_made():
    with pytest.raises(ValueError, match="finite"):
        trackio.Histogram(np_histogram=([1.0, float("nan")], [0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="decrease"):
        trackio.Histogram(np_histogram=([1, 2], [0.0, 2.0, 1.0]))
    with pytest.raises(TypeError, match="integer"):
        trackio.Histogram([1.0, 2.0], num_bins=2.5)
    extreme = trackio.Histogram([1e308, -1e308], num_bins=4)
    assert sum(extreme.histogram) == 2 and len(extreme.bins) == len(extreme.histogram) + 1


def test_bfloat16_tensors_become_images(read_run):
    torch = pytest.importorskip("torch")
    trackio.init(project="bf16", name="r")
    trackio.log({"img": trackio.Image(torch.rand(3, 8, 8, dtype=torch.bfloat16))})
    trackio.finish()
    assert png_size(read_run("bf16").history()[0]["img"]["path"]) == (8, 8)


def test_a_table_whose_file_is_gone_is_a_404(server, trackio_dir):
    run = trackio.init(project="lost", name="r")
    run.log({"tab": trackio.Table(columns=["a"], data=[[1]])})
    run.finish()
    for path in (trackio_dir / "lost.media").rglob("*.json"):
        path.unlink()
    with pytest.raises(urllib.error.HTTPError) as caught:
        fetch(server, "api/table", project="lost", run=run.id, key="tab")
    assert caught.value.code == 404


@pytest.mark.parametrize(("name", "value"), [("offset", "-5"), ("step", "-1"), ("limit", "0")])
def test_table_paging_numbers_out_of_range_are_a_400(server, name, value):
    run = trackio.init(project="paged", name="r")
    run.log({"tab": trackio.Table(columns=["a"], data=[[1], [2]])})
    run.finish()
    with pytest.raises(urllib.error.HTTPError) as caught:
        fetch(server, "api/table", project="paged", run=run.id, key="tab", **{name: value})
    assert caught.value.code == 400
    assert name in json.loads(caught.value.read())["error"]


def test_histogram_bins_and_counts_as_wandb_names_them():
    histogram = trackio.Histogram(np_histogram=(np.array([1, 2, 3]), np.array([0.0, 1, 2, 3])))
    assert histogram.bins == [0.0, 1.0, 2.0, 3.0]
    assert histogram.histogram == [1.0, 2.0, 3.0]
    binned = trackio.Histogram([1.0, 2.0, 2.5, 9.0], num_bins=4)
    assert sum(binned.histogram) == 4 and binned.bins[0] == 1.0 and binned.bins[-1] == 9.0
    with pytest.raises(ValueError, match="not both"):
        trackio.Histogram([1.0], np_histogram=([1.0], [0.0, 1.0]))


def test_media_api_after_cursor_sends_only_newer_items_per_run(server):
    first = trackio.init(project="media-cursor", name="a")
    second = trackio.init(project="media-cursor", name="b", reinit="create_new")
    for run in (first, second):
        for step in range(2):
            run.log({"img": trackio.Image(np.zeros((2, 2), dtype=np.uint8))}, step=step)
        run._sync()
    listed = json.loads(fetch(server, "api/media", project="media-cursor")[1])["media"]
    last = {run.id: max(i["id"] for i in listed if i["run"] == run.id) for run in (first, second)}
    assert len(listed) == 4 and all(isinstance(i["id"], int) for i in listed)

    first.log({"img": trackio.Image(np.zeros((2, 2), dtype=np.uint8))}, step=5)
    first.finish()
    second.finish()
    after = ",".join(f"{run_id}:{number}" for run_id, number in last.items())
    _, body = fetch(server, "api/media", project="media-cursor", after=after)
    newer = json.loads(body)["media"]
    assert [(i["run"], i["step"]) for i in newer] == [(first.id, 5)]
    assert newer[0]["id"] > last[first.id]

    only_first = f"{first.id}:{last[first.id]}"
    _, body = fetch(server, "api/media", project="media-cursor", after=only_first)
    assert sorted((i["run"] == first.id, i["step"]) for i in json.loads(body)["media"]) == [
        (False, 0),
        (False, 1),
        (True, 5),
    ]
    with pytest.raises(urllib.error.HTTPError) as caught:
        fetch(server, "api/media", project="media-cursor", after=f"{first.id}:x")
    assert caught.value.code == 400
    assert "RUN_ID:MEDIA_ID" in json.loads(caught.value.read())["error"]
