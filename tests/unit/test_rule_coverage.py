"""Every rule of SPEC sections 2-5 and 7 (C1-C3, E1-E15, L1-L4, G1-G2, F1-F5) has at least one
integration test showing it is enforced and one showing the allowed path works
(``@pytest.mark.rule(ID, kind=...)``).
Integration tests run on SQLite and on PostgreSQL (the ``backend`` fixture), so counting them
proves both backends enforce every rule; domain unit tests come on top."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
RULES = (
    [f"C{i}" for i in range(1, 4)]
    + [f"E{i}" for i in range(1, 16)]
    + [f"L{i}" for i in range(1, 5)]
    + [f"G{i}" for i in range(1, 3)]
    + [f"F{i}" for i in range(1, 6)]
)


def _rule_markers(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for path in folder.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if not (isinstance(func, ast.Attribute) and func.attr == "rule"):
                continue
            kinds = {
                kw.value.value
                for kw in node.keywords
                if kw.arg == "kind" and isinstance(kw.value, ast.Constant)
            }
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found[arg.value] |= kinds
    return found


def test_every_rule_has_an_enforcing_and_an_allowing_test() -> None:
    markers = _rule_markers(TESTS / "integration")
    missing = [
        f"{rule}:{kind}" for rule in RULES for kind in ("allow", "refuse") if kind not in markers[rule]
    ]
    assert missing == []


def test_rule_markers_name_known_rules_and_kinds() -> None:
    markers = _rule_markers(TESTS)
    assert set(markers) <= set(RULES) | {f"L{i}" for i in range(1, 5)} | {f"G{i}" for i in range(1, 3)} | {
        f"K{i}" for i in range(1, 3)
    } | {f"F{i}" for i in range(1, 9)}
    assert all(kinds <= {"allow", "refuse"} and kinds for kinds in markers.values())
