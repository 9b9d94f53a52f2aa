"""The PKCS#11 module (the vendor's library: SoftHSM2 in development and tests), loaded once per
process (SPEC K1).

* SoftHSM2 reads ``SOFTHSM2_CONF`` once, when the library is loaded. Pass ``softhsm2_conf`` to
  :func:`load_module` (or set the variable yourself) **before** the first token is opened; a
  second load with another configuration is refused, because it would silently have no effect.
* The slot list is read when the library is initialised: a token created afterwards (for instance
  by ``softhsm2-util --init-token``) is invisible until the library is re-initialised.
  :meth:`netbank.adapters.hsm.Token.open` does that by itself when the label is unknown **and**
  no token of that module is open in this process (``C_Finalize`` would close every open
  session); :func:`refresh_slots` does it explicitly and refuses while tokens are open.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pkcs11
import pkcs11.exceptions as p11e
from pkcs11 import TokenFlag

from netbank.adapters.hsm.errors import TokenAlreadyOpen, TokenError, mapped_errors

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as PKCS11Library

DEFAULT_MODULE_PATH: Final = "/usr/lib/softhsm/libsofthsm2.so"


@dataclass
class LoadedModule:
    lib: PKCS11Library
    softhsm2_conf: str | None
    open_labels: set[str]


_modules_lock = threading.Lock()
_modules: dict[str, LoadedModule] = {}


def load_module(
    module_path: str = DEFAULT_MODULE_PATH, *, softhsm2_conf: str | os.PathLike[str] | None = None
) -> PKCS11Library:
    """Load (once per process) the PKCS#11 module at ``module_path``.

    ``softhsm2_conf`` is exported as ``SOFTHSM2_CONF`` before the first load; SoftHSM2 reads it
    only then, so asking for another configuration once loaded raises :class:`TokenError`.
    """
    with _modules_lock:
        return _load_locked(module_path, softhsm2_conf).lib


def _load_locked(module_path: str, softhsm2_conf: str | os.PathLike[str] | None) -> LoadedModule:
    wanted = os.fspath(softhsm2_conf) if softhsm2_conf is not None else None
    module = _modules.get(module_path)
    if module is not None:
        if wanted is not None and wanted != module.softhsm2_conf:
            raise TokenError(
                f"{module_path} is already loaded with SOFTHSM2_CONF={module.softhsm2_conf!r}; "
                "it is read only once, at load"
            )
        return module
    if wanted is not None:
        os.environ["SOFTHSM2_CONF"] = wanted
    try:
        lib = pkcs11.lib(module_path)
    except p11e.PKCS11Error as exc:
        raise TokenError(f"cannot initialise PKCS#11 module {module_path}: {type(exc).__name__}") from exc
    except (RuntimeError, OSError) as exc:
        raise TokenError(f"cannot load PKCS#11 module {module_path}") from exc
    module = LoadedModule(lib=lib, softhsm2_conf=os.environ.get("SOFTHSM2_CONF"), open_labels=set())
    _modules[module_path] = module
    return module


def refresh_slots(module_path: str = DEFAULT_MODULE_PATH) -> None:
    """Re-initialise the module so that tokens created after it was loaded become visible.

    Refused with :class:`TokenAlreadyOpen` while a token of the module is open in this process,
    since ``C_Finalize`` closes every session.
    """
    with _modules_lock:
        module = _load_locked(module_path, None)
        if module.open_labels:
            raise TokenAlreadyOpen(f"cannot refresh while tokens are open: {sorted(module.open_labels)}")
        with mapped_errors("refresh slots"):
            module.lib.reinitialize()


@contextmanager
def locked_module(
    module_path: str, softhsm2_conf: str | os.PathLike[str] | None = None
) -> Iterator[LoadedModule]:
    """The module at ``module_path``, loaded if need be, while no other thread loads, refreshes,
    opens or closes a token of any module (:class:`netbank.adapters.hsm.Token` keeps
    ``open_labels`` under this lock)."""
    with _modules_lock:
        yield _load_locked(module_path, softhsm2_conf)


def forget_open_token(module_path: str, label: str) -> None:
    """The token ``label`` of ``module_path`` was closed: it no longer blocks a slot refresh."""
    with _modules_lock:
        module = _modules.get(module_path)
        if module is not None:
            module.open_labels.discard(label)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a token says about itself without a login (no secrets)."""

    label: str
    serial: str
    manufacturer: str
    model: str
    initialized: bool
    user_pin_initialized: bool
    user_pin_count_low: bool
    user_pin_final_try: bool
    user_pin_locked: bool


def read_token_info(label: str, *, module_path: str = DEFAULT_MODULE_PATH) -> TokenInfo:
    """The flags of the token labelled ``label`` (raises :class:`TokenNotFound`)."""
    lib = load_module(module_path)
    with mapped_errors("read token info"):
        token = lib.get_token(token_label=label)
        flags = token.flags
        return TokenInfo(
            label=token.label,
            serial=token.serial.decode("ascii", "replace").strip(),
            manufacturer=token.manufacturer_id,
            model=token.model,
            initialized=bool(flags & TokenFlag.TOKEN_INITIALIZED),
            user_pin_initialized=bool(flags & TokenFlag.USER_PIN_INITIALIZED),
            user_pin_count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
            user_pin_final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
            user_pin_locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
        )
