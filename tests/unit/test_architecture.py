"""The shape the code keeps (STYLE.md): modules of one concept and a reasonable size, routes
that take their input as one model rather than a list of fields, no module reaching into
another's private names, and one name per field from the API's input model to its command."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

import netbank
from netbank.bootstrap import bootstrap
from netbank.entrypoints.api import schemas
from netbank.entrypoints.api.app import create_app
from netbank.entrypoints.api.schemas.base import CommandModel
from tests.conftest import make_settings

SRC = Path(netbank.__file__).parent
MAX_LINES = 600
MAX_ROUTE_FIELDS = 6


def _modules() -> Iterator[Path]:
    yield from sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def test_no_module_is_over_600_lines() -> None:
    long = {
        str(p.relative_to(SRC)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def _walk(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # a router included in another
        if included is not None:
            yield from _walk(included.routes)


def _routes(tmp_path: Path) -> list[APIRoute]:
    """Every route of the app, the web pages' included (no database is opened)."""
    app = create_app(bootstrap(make_settings(f"sqlite:///{tmp_path / 'routes.sqlite3'}", tmp_path)))
    return list(_walk(app.router.routes))


def test_no_route_takes_more_than_six_fields_besides_its_dependencies(tmp_path: Path) -> None:
    """A route's own inputs (path, query, header, cookie and body fields; injected dependencies
    and the request do not count): more than six belong in an input model."""
    routes = _routes(tmp_path)
    assert len(routes) > 100  # the API and the web pages
    wide = {}
    for route in routes:
        d = route.dependant
        fields = [*d.path_params, *d.query_params, *d.header_params, *d.cookie_params, *d.body_params]
        if len(fields) > MAX_ROUTE_FIELDS:
            wide[f"{sorted(route.methods)} {route.path}"] = [f.name for f in fields]
    assert wide == {}


def _private_imports(path: Path, root: Path = SRC) -> Iterator[str]:
    """``from netbank.x import _name`` and ``module._name`` where ``module`` is a netbank module
    imported by this one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("netbank"):
            for alias in node.names:
                if alias.name.startswith("_"):
                    yield f"{path.relative_to(root)}:{node.lineno} imports {node.module}.{alias.name}"
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name.startswith("netbank"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            yield f"{path.relative_to(root)}:{node.lineno} uses {node.value.id}.{node.attr}"


def test_no_module_uses_another_modules_private_names() -> None:
    found = [line for path in _modules() for line in _private_imports(path)]
    assert found == []


def test_the_private_name_check_can_fail(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from netbank.entrypoints.web import teller\nfrom netbank.x import _y\nteller._page()\n")
    assert len(list(_private_imports(probe, tmp_path))) == 2


def _command_models() -> list[type[CommandModel[object]]]:
    found = []
    for name in schemas.__all__:
        model = getattr(schemas, name)
        if isinstance(model, type) and issubclass(model, CommandModel) and "command_type" in vars(model):
            found.append(model)
    return found


@pytest.mark.parametrize("model", _command_models(), ids=lambda m: m.__name__)
def test_an_input_model_and_its_command_name_their_fields_alike(model: type[CommandModel[object]]) -> None:
    """Every field of the API's input model (the web's form fields too) is a field of the same
    name of the service command it turns into; a UKEY's label and PIN fold into ``ukey``."""
    command = model.command_type
    assert dataclasses.is_dataclass(command), command
    names = {f.name for f in dataclasses.fields(command)}
    folded = {"token_label", "token_pin"} if "ukey" in names else set()
    assert set(model.model_fields) - folded <= names, model.__name__


def test_every_counter_transaction_has_an_input_model() -> None:
    from netbank.services.counter.desk import CounterCommand

    def leaves(cls: type) -> set[type]:
        below = set(cls.__subclasses__())
        return {c for c in below if "code" in vars(c)} | {x for c in below for x in leaves(c)}

    with_model = {m.command_type for m in _command_models()}
    assert leaves(CounterCommand) - with_model == set()
