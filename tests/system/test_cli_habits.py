"""CLI habits, as a user runs the command: calendar text printed as written, a closed
stdout ends quietly, global options on either side of the command, colour, help and man."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from legday_sync.cli.parser import COMMANDS, build_parser
from tests.conftest import EXAMPLE_NOW

PY = [sys.executable, "-m", "legday_sync"]


def env(**extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "LEGDAY_SYNC_CONFIG")}
    return {**e, "COLUMNS": "200", "HOME": e.get("HOME", "/tmp"), **extra}


def cli(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PY, *args], cwd=cwd, env=env(**extra), capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def bracket_dir(example_dir: Path) -> Path:
    """The example calendar with rich-markup look-alikes in its titles and source name."""
    cal = example_dir / "training.ics"
    text = cal.read_text(encoding="utf-8")
    text = text.replace("SUMMARY:Tempo run 8k", "SUMMARY:Tempo run [/] 8k")
    text = text.replace("SUMMARY:Heavy squats — 1RM test", "SUMMARY:Heavy squats [Z3] 1RM")
    # the weekly leg day: the planner moves Monday's, so its title shows in every view
    text = text.replace("SUMMARY:Leg day\n", "SUMMARY:Leg day [Z3]\n")
    cal.write_text(text, encoding="utf-8")
    cfg = example_dir / "legday-sync.toml"
    cfg.write_text(cfg.read_text().replace('name = "training"', 'name = "gym[/][bold]"'))
    return example_dir


@pytest.mark.parametrize("command", [["sync", "--dry-run"], ["sync"], ["week"]])
def test_calendar_text_is_printed_as_written(bracket_dir: Path, command: list[str]) -> None:
    r = cli("--config", "legday-sync.toml", *command, "--now", EXAMPLE_NOW, cwd=bracket_dir)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "MarkupError" not in r.stderr
    assert "Tempo run [/] 8k" in r.stdout
    assert "[Z3]" in r.stdout


def test_check_prints_a_source_name_with_brackets(bracket_dir: Path) -> None:
    r = cli("--config", "legday-sync.toml", "check", cwd=bracket_dir)
    assert r.returncode == 0, r.stderr
    assert "gym[/][bold]:" in r.stdout


def run_with_closed_stdout(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Like `legday-sync … | head -0`: the reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([*PY, *args], cwd=cwd, env=env(), stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
    finally:
        os.close(write_end)


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["rules"], ["feed-url"], ["week", "--now", EXAMPLE_NOW], ["sync", "--now", EXAMPLE_NOW],
    ["sync", "--json", "--now", EXAMPLE_NOW], ["check"], ["man"], ["completion", "bash"],
    ["--help"], ["sync", "--help"], ["--version"],
    ["init", "--yes", "--path", "new.toml", "--ics", "training.ics"],
])
def test_a_closed_stdout_ends_quietly(example_dir: Path, args: list[str]) -> None:
    r = run_with_closed_stdout(["--config", "legday-sync.toml", *args], example_dir)
    assert r.returncode in (0, 141), r.stderr
    assert r.stderr == ""


def test_global_options_go_before_or_after_the_command(example_dir: Path) -> None:
    cfg = str(example_dir / "legday-sync.toml")
    before = cli("--config", cfg, "-q", "rules", cwd=example_dir.parent)
    after = cli("rules", "--config", cfg, "-q", cwd=example_dir.parent)
    assert before.returncode == after.returncode == 0, after.stderr
    assert before.stdout == after.stdout and "Goal:" in after.stdout
    args = build_parser().parse_args(["-v", "sync", "-v", "--config", "x.toml"])
    assert args.config == "x.toml"
    kept = build_parser().parse_args(["--config", "y.toml", "--color", "never", "rules"])
    assert kept.config == "y.toml" and kept.color == "never"


def test_colour_follows_the_flag_and_no_color(example_dir: Path) -> None:
    base = ("--config", "legday-sync.toml")
    always = cli(*base, "--color=always", "rules", cwd=example_dir)
    assert "\x1b[" in always.stdout
    assert "\x1b[" not in cli(*base, "rules", cwd=example_dir).stdout  # a pipe: auto is off
    never = cli(*base, "rules", "--color", "never", cwd=example_dir)
    assert "\x1b[" not in never.stdout
    from legday_sync.cli.common import color_wanted

    class Tty:
        def isatty(self) -> bool:
            return True

    os.environ.pop("NO_COLOR", None)
    assert color_wanted("auto", Tty())
    os.environ["NO_COLOR"] = "1"
    try:
        assert not color_wanted("auto", Tty())
        assert color_wanted("always", Tty())
    finally:
        del os.environ["NO_COLOR"]


def test_every_command_has_a_description_and_an_example() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    # every module registers its command (dismiss.py registers undismiss beside it)
    assert {m.__name__.rsplit(".", 1)[1].replace("_", "-") for m in COMMANDS} <= set(sub.choices)
    for name, child in sub.choices.items():
        text = child.format_help()
        assert child.description and len(child.description) > 40, name
        assert "examples:\n" in text and f"legday-sync {name}" in text.split("examples:")[1]
        assert "--config" in text and "--verbose" in text, name


def test_the_man_page_names_every_command(tmp_path: Path) -> None:
    out = tmp_path / "legday-sync.1"
    r = cli("man", "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert page.startswith(".TH LEGDAY\\-SYNC 1")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f'.SS "legday\\-sync {name.replace("-", chr(92) + "-")}"' in page, name
    for section in ("SYNOPSIS", "GLOBAL OPTIONS", "ENVIRONMENT", "EXIT STATUS"):
        assert f".SH {section}" in page
    assert "\\fB\\-\\-dry\\-run\\fR" in page


def test_completion_prints_shell_code(tmp_path: Path) -> None:
    r = cli("completion", "bash", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "complete " in r.stdout and "legday-sync" in r.stdout
    bad = cli("completion", "tcsh", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_completion_answers_the_shell(tmp_path: Path) -> None:
    """What bash asks through argcomplete's protocol: the commands starting with "fe"."""
    out = tmp_path / "answer"
    line = "legday-sync fe"
    r = subprocess.run([*PY], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env=env(_ARGCOMPLETE="1", COMP_LINE=line, COMP_POINT=str(len(line)),
                               _ARGCOMPLETE_STDOUT_FILENAME=str(out), _ARGCOMPLETE_IFS="\n"))
    assert r.returncode == 0, r.stderr
    assert out.read_text().split() == ["feed-url"]
