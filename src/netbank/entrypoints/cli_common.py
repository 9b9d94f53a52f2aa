"""What the command line's modules share: who acts when an operator runs a command."""

from __future__ import annotations

from netbank.services.common import Operator

#: The back office at the command line (the audit trail names it ``operator:cli``).
OPERATOR = Operator("cli")
