"""Clocks: the system clock, and a settable one for tests and demos."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("clock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, delta: timedelta) -> None:
        self._at += delta
