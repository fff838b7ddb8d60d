"""The team's guide keeps modules under ~400 lines: split by responsibility past that."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400


def test_no_module_of_the_bot_or_its_adapters_passes_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for folder in ("bot", "adapters")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
