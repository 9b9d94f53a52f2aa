"""E11: counter work is refused while the account involved carries any C3 flag."""

from __future__ import annotations

import pytest

from netbank.domain.account import StatusFlag
from netbank.domain.errors import Code, DomainError
from tests.unit.domain.builders import account, code_of


@pytest.mark.rule("E11", kind="refuse")
@pytest.mark.parametrize("flag", list(StatusFlag))
def test_every_c3_flag_blocks_counter_work(flag: StatusFlag) -> None:
    with pytest.raises(DomainError) as exc:
        account(flags=flag).ensure_no_blocking_flags()
    assert code_of(exc) is Code.E11_ACCOUNT_STATUS_BLOCKS
    assert exc.value.params["flags"] == flag.name.lower()  # type: ignore[union-attr]
