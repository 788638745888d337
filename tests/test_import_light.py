import json
import subprocess
import sys

HEAVY = ["numpy", "pandas", "PIL", "huggingface_hub", "fastapi", "starlette", "uvicorn", "torch"]


def test_import_and_logging_load_no_heavy_module(tmp_path):
    code = (
        "import sys, json, trackio\n"
        "run = trackio.init(project='light')\n"
        "run.log({'loss': 0.5})\n"
        "run.finish()\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"TRACKIO_DIR": str(tmp_path), "TRACKIO_QUIET": "1", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_package_metadata_is_discoverable():
    from importlib.metadata import metadata

    import trackio

    assert metadata("trackio")["Name"] == "trackio"
    assert trackio.__version__ == metadata("trackio")["Version"]
