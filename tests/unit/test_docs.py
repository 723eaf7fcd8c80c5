"""The README stays true: every setting and every CLI command is documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from service.cli import build_parser
from service.settings import PREFIX, Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    names = [f"{PREFIX}{f.name.upper()}" for f in dataclasses.fields(Settings) if f.name != "extra"]
    missing = [n for n in names if f"`{n}`" not in README]
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "cmd").choices
    assert commands is not None
    missing = [c for c in commands if f"commentguard {c}" not in README]
    assert missing == []


def test_readme_starts_with_the_two_commands() -> None:
    head = README.split("\n## ", 1)[0]
    assert "make run" in head
    assert "make test" in head
