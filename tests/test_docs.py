"""The README tells the truth: every `trackio ...` command and flag it shows exists,
every command the CLI has is shown, and the quickstart runs as written."""

import argparse
import re
import subprocess
import sys

from conftest import REPO_ROOT

from trackio.cli import build_parser

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def _leaf_commands(parser, prefix=()):
    children = _subcommands(parser)
    if not children:
        return [prefix]
    return [
        leaf for name, child in children.items() for leaf in _leaf_commands(child, (*prefix, name))
    ]


def _documented_commands():
    spans = re.findall(r"`(trackio [^`]+)`", README)
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    spans += [
        line for block in blocks for line in block.splitlines() if line.startswith("trackio ")
    ]
    return [" ".join(span.split()) for span in spans]


def _resolve(words):
    """The parser a documented command reaches, the command words, and its flags."""
    parser, path = build_parser(), []
    for word in words:
        children = _subcommands(parser)
        if word not in children:
            break
        parser = children[word]
        path.append(word)
    flags = [re.sub(r"[\[\]]", "", w) for w in words if w.lstrip("[").startswith("--")]
    return parser, tuple(path), flags


def test_every_documented_command_and_flag_exists():
    documented = _documented_commands()
    assert len(documented) > 10
    for text in documented:
        parser, path, flags = _resolve(text.split()[1:])
        assert path, f"README shows {text!r}, which names no trackio command"
        options = {option for action in parser._actions for option in action.option_strings}
        for flag in flags:
            assert flag in options, f"README shows {flag} for `trackio {' '.join(path)}`"


def test_every_command_is_documented():
    shown = {_resolve(text.split()[1:])[1] for text in _documented_commands()}
    missing = [" ".join(leaf) for leaf in _leaf_commands(build_parser()) if leaf not in shown]
    assert missing == [], f"commands the README never shows: {missing}"


def test_the_quickstart_runs_as_written(child_env):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "examples" / "quickstart.py")],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"run \S+: 250 steps, summary \{", result.stdout), result.stdout
