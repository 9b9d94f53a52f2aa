"""E13: what a login password must look like (the policy's numbers)."""

from __future__ import annotations

import string

from netbank.domain.customer import Customer
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.policy import PasswordPolicy


def identifiers_of(customer: Customer, registration_number: str) -> tuple[str, ...]:
    """E13: what a customer's login password may not contain: the registration account
    (card) number, the birth date and the mobile number."""
    return (registration_number, customer.birth_date.strftime("%Y%m%d"), customer.mobile)


def ensure_password_acceptable(
    password: str, policy: PasswordPolicy, *, forbidden: tuple[str, ...] = ()
) -> None:
    """E13: length within the policy, enough character classes, and not containing an
    identifier of the customer (card number, birth date, ...)."""
    classes = sum(
        any(c in group for c in password)
        for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation)
    )
    too_short = len(password) < policy.min_length
    too_long = len(password) > policy.max_length
    contains_identifier = any(item and item in password for item in forbidden)
    if too_short or too_long or classes < policy.min_character_classes or contains_identifier:
        raise RuleViolation(
            Code.E13_PASSWORD_POLICY,
            min_length=policy.min_length,
            max_length=policy.max_length,
            min_classes=policy.min_character_classes,
        )
