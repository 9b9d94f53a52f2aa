"""Institution policies from TOML files, one per institution (``<code>.toml``)."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

from netbank.domain.errors import Code, NotFound
from netbank.domain.policy import Policy


def load_policy_file(path: Path) -> Policy:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    try:
        policy = Policy.from_mapping(data)
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    if policy.institution_code != path.stem:
        raise ValueError(f"{path.name}: institution code {policy.institution_code!r} != file name")
    return policy


class TomlPolicyBook:
    """Loads every ``*.toml`` in a folder once; a bad file stops start-up with its name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._policies = {p.institution_code: p for p in map(load_policy_file, sorted(folder.glob("*.toml")))}

    def policy_for(self, institution_code: str) -> Policy:
        try:
            return self._policies[institution_code]
        except KeyError:
            raise NotFound(Code.INSTITUTION_NOT_FOUND, institution=institution_code) from None

    def all(self) -> Sequence[Policy]:
        return list(self._policies.values())


class StaticPolicyBook:
    """Policies given in code (tests, embedding)."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        self._policies = {p.institution_code: p for p in policies}

    def policy_for(self, institution_code: str) -> Policy:
        try:
            return self._policies[institution_code]
        except KeyError:
            raise NotFound(Code.INSTITUTION_NOT_FOUND, institution=institution_code) from None

    def all(self) -> Sequence[Policy]:
        return list(self._policies.values())
