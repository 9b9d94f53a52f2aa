"""A token kept open by a server process (SPEC K1, F1): the HSM that holds the institution CAs'
keys, the one that holds the financial certificate service's CA keys, the one that holds the
customers' financial certificate keys.

:class:`KeptToken` logs in on first use with the PIN from configuration and stays logged in:
PKCS#11 allows one login per token per process (:class:`netbank.adapters.hsm.Token`), so each
token has one ``KeptToken`` per process, shared by whoever uses it. It keeps the handles of the
most recently used keys (a look-up on the token costs two object searches) and forgets them when
the token has to be opened again. Failures leave as :class:`netbank.adapters.hsm.TokenError`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from netbank.adapters.hsm.keys import TokenKey
from netbank.adapters.hsm.library import DEFAULT_MODULE_PATH
from netbank.adapters.hsm.token import Token

#: Key handles kept by default (a CA token holds a handful of keys, a key store very many).
KEYS_KEPT: Final = 1024


class KeptToken:
    """The token labelled ``label``, opened when first used and kept open (see the module notes).
    Calls hold :attr:`lock`; share it with work that must not interleave with the token's."""

    def __init__(
        self,
        label: str,
        pin: str,
        *,
        module_path: str = DEFAULT_MODULE_PATH,
        lock: threading.RLock | None = None,
        keys_kept: int = KEYS_KEPT,
    ) -> None:
        self._label = label
        self._pin = pin
        self._module_path = module_path
        self.lock = lock if lock is not None else threading.RLock()
        self._keys_kept = keys_kept
        self._token: Token | None = None
        self._keys: OrderedDict[str, TokenKey] = OrderedDict()

    def token(self) -> Token:
        """The logged-in token, opened (again) when need be."""
        with self.lock:
            if self._token is None or self._token.closed:
                self._token = Token.open(self._label, self._pin, module_path=self._module_path)
                self._keys.clear()
                self._opened()
            return self._token

    def _opened(self) -> None:
        """The token was just opened (again): forget what belonged to an earlier session."""

    def key(self, label: str) -> TokenKey:
        """The key pair labelled ``label`` (raises ``TokenObjectNotFound``)."""
        with self.lock:
            token = self.token()
            key = self._keys.get(label)
            if key is None:
                key = token.get_key(label)
            self.remember(label, key)
            return key

    def remember(self, label: str, key: TokenKey) -> None:
        """Keep the handle of ``key`` (just generated, or just used)."""
        with self.lock:
            self._keys[label] = key
            self._keys.move_to_end(label)
            while len(self._keys) > self._keys_kept:
                self._keys.popitem(last=False)

    def forget(self, label: str) -> None:
        """Drop the handle of a key about to be destroyed."""
        with self.lock:
            self._keys.pop(label, None)

    def close(self) -> None:
        """Log out (process shutdown, tests); the next call opens the token again."""
        with self.lock:
            if self._token is not None:
                self._token.close()
                self._token = None
