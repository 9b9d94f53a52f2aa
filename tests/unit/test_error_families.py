"""Every refusal code belongs to exactly one family, so it reaches HTTP with one status; and
every place in ``src/`` that raises a code raises it with its family's exception class."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import netbank
from netbank.domain import errors
from netbank.domain.errors import FAMILY_CLASS, Code, DomainError, Family, refusal
from netbank.domain.fincert import PINRejected
from netbank.entrypoints.api.errors import STATUS, status_of, status_of_code

SRC = Path(netbank.__file__).parent

#: Every exception class that carries a code, by the name it is raised under.
CLASSES: dict[str, type[DomainError]] = {
    **{
        name: cls
        for name, cls in vars(errors).items()
        if isinstance(cls, type) and issubclass(cls, DomainError)
    },
    "PINRejected": PINRejected,
}


def test_every_family_has_one_exception_class_and_one_status() -> None:
    assert set(FAMILY_CLASS) == set(Family)
    assert set(STATUS) == set(Family)
    for family, cls in FAMILY_CLASS.items():
        assert cls.family is family


@pytest.mark.parametrize("code", list(Code), ids=str)
def test_every_code_maps_to_one_http_status(code: Code) -> None:
    assert isinstance(code.family, Family)
    status = status_of_code(code)
    assert status == STATUS[code.family]
    # the refusal built from the code carries it with its family's class and status
    exc = refusal(code)
    assert type(exc) is FAMILY_CLASS[code.family]
    assert status_of(exc) == status


def _raises(tree: ast.AST) -> list[tuple[int, str, str | None]]:
    """(line, class name, code name or None when the code is not a literal ``Code.X``) of
    every call of a refusal class."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in CLASSES or name == "DomainError":
            continue
        first = node.args[0] if node.args else None
        literal = (
            first.attr
            if isinstance(first, ast.Attribute)
            and isinstance(first.value, ast.Name)
            and first.value.id == "Code"
            else None
        )
        found.append((node.lineno, name, literal))
    return found


def test_every_code_is_raised_with_the_class_of_its_family() -> None:
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        for line, name, code in _raises(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(SRC)}:{line}"
            if code is None:
                wrong.append(f"{where}: {name}(...) with a code chosen at run time; use refusal(code)")
                continue
            expected = FAMILY_CLASS[Code[code].family]
            if not issubclass(CLASSES[name], expected):
                wrong.append(f"{where}: {name}(Code.{code}) but {code} is {expected.__name__}")
    assert wrong == []


def test_the_walk_sees_a_mismatch() -> None:
    """The check above can fail: a not-found code raised as a rule violation is reported."""
    tree = ast.parse("raise RuleViolation(Code.ACCOUNT_NOT_FOUND)\nraise NotFound(reason)")
    assert _raises(tree) == [(1, "RuleViolation", "ACCOUNT_NOT_FOUND"), (2, "NotFound", None)]
