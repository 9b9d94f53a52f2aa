"""The in-memory database behind the fake unit of work: one table of domain objects per class,
keyed as the real table is (by id, or by its natural key for the few rows that have no id).

A unit of work never changes the committed store in place: it works on a copy (``copy``) and
hands a copy back on commit, so a refusal leaves the committed store as it was."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Hashable
from typing import Any, TypeVar

T = TypeVar("T")

#: What a row is compared by: its key and the values of its fields, in field order.
Snapshot = dict[str, list[tuple[Hashable, tuple[Any, ...]]]]
_MUTABLE = (dict, list, set, bytearray)


def copy_row(row: T) -> T:
    """A fresh instance with the same field values, built through the class's constructor so
    that it works whether or not SQLAlchemy has mapped the class (``map_domain`` instruments
    the domain classes once any integration test of the process has run)."""
    values = {f.name: _copy_value(getattr(row, f.name)) for f in dataclasses.fields(row)}  # type: ignore[arg-type]
    return type(row)(**values)


def _copy_value(value: Any) -> Any:
    return copy.deepcopy(value) if isinstance(value, _MUTABLE) else value


def row_values(row: object) -> tuple[Any, ...]:
    return tuple(_copy_value(getattr(row, f.name)) for f in dataclasses.fields(row))  # type: ignore[arg-type]


class FakeStore:
    """Tables of rows, and the last id each table gave out (an SQLite rowid: rolled back with
    the rest, so the fake's ids are SQLite's)."""

    def __init__(self) -> None:
        self.tables: dict[type[Any], dict[Hashable, Any]] = {}
        self.last_ids: dict[type[Any], int] = {}

    # --- reading
    def rows(self, kind: type[T]) -> list[T]:
        """Every row of the table, in key order (ids grow with insertion)."""
        return list(self.tables.get(kind, {}).values())

    def get(self, kind: type[T], key: Hashable) -> T | None:
        found: T | None = self.tables.get(kind, {}).get(key)
        return found

    def where(self, kind: type[T], **equal: Any) -> list[T]:
        """The rows whose fields equal ``equal`` (``filter_by``), in key order."""
        return [row for row in self.rows(kind) if all(getattr(row, k) == v for k, v in equal.items())]

    def first(self, kind: type[T], **equal: Any) -> T | None:
        return next(iter(self.where(kind, **equal)), None)

    # --- writing
    def insert(self, row: Any) -> None:
        """Keep ``row``, giving it the table's next id first (as a flush does). Adding a row
        that is already kept changes nothing (``Session.add`` of a persistent object)."""
        kind = type(row)
        if row.id is None:
            row.id = self.last_ids.get(kind, 0) + 1
        self.last_ids[kind] = max(self.last_ids.get(kind, 0), row.id)
        self.tables.setdefault(kind, {})[row.id] = row

    def put(self, key: Hashable, row: Any) -> None:
        """Keep a row of a table keyed by something else than an id (daily usage, own limits)."""
        self.tables.setdefault(type(row), {})[key] = row

    # --- the unit of work's copies
    def copy(self) -> FakeStore:
        twin = FakeStore()
        twin.tables = {kind: {k: copy_row(r) for k, r in rows.items()} for kind, rows in self.tables.items()}
        twin.last_ids = dict(self.last_ids)
        return twin

    def restore(self, other: FakeStore) -> None:
        """Become a copy of ``other`` (a rollback), in place: the repositories keep this store."""
        twin = other.copy()
        self.tables, self.last_ids = twin.tables, twin.last_ids

    def snapshot(self) -> Snapshot:
        """Every row of every table as plain values: equal snapshots, equal databases (the
        fake's ``tests.builders.snapshot``)."""
        return {
            kind.__name__: [(key, row_values(row)) for key, row in rows.items()]
            for kind, rows in sorted(self.tables.items(), key=lambda item: item[0].__name__)
            if rows
        }
