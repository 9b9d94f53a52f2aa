"""The teller's counter transactions (E7-E15, K1, K2, G1), each a frozen command handled by
``handler(deps, teller, command)`` and run through the one counter desk (``desk.py``: the
identity check, the contract, the account presented, its flags, the journal and the receipt).

- ``contract.py``: 819101 add / modify / delete, 819102 and 819103.
- ``maintenance.py``: the login password reset (E13), the OTP phone and seed (K2).
- ``certificates.py``: the UKEY sale and replacement, certificate renewal and revocation (K1,
  with their G1 fees).
- ``accounts.py``: the identity check itself (E12), loss reports, the same-number replacement
  card, account closure (E14) and status flags (C3).
"""
