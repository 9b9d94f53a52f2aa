"""Step-up factors (K1, K2, F7), one class each behind :class:`base.StepUpFactor`:

- ``totp.py``: the OTP version's TOTP code (level 30);
- ``codes.py``: a code by SMS, ARS or to the app (level 30);
- ``ukey.py``: certificate login with the UKEY (level 40);
- ``fincert.py``: the cloud financial certificate and its PIN (level 40).

:func:`standard_factors` is the registry ``bootstrap`` wires into ``Deps.factors``."""

from __future__ import annotations

from netbank.services.factors.codes import CodeFactor
from netbank.services.factors.fincert import FinCertFactor
from netbank.services.factors.registry import FactorRegistry
from netbank.services.factors.totp import TOTPFactor
from netbank.services.factors.ukey import UKEYFactor

#: The factors, one instance each; entry points call their ``start`` and ``verify``.
TOTP = TOTPFactor()
CODES = CodeFactor()
UKEY = UKEYFactor()
FINCERT = FinCertFactor()


def standard_factors() -> FactorRegistry:
    """Every factor netbank offers, in the order clients offer them."""
    return FactorRegistry((TOTP, CODES, UKEY, FINCERT))
