"""A person's own settings that are not rules of the SPEC: the language of their pages.

A customer (any version, the card/passbook login included: the choice is kept on the customer
record) or a member of staff (teller, admin, auditor) may prefer ko, zh or en. The web front
stores the choice when a signed-in person uses the language switch, and at sign-in
(``auth.IssuedSession.preferred_locale``) shows their pages in it, in any browser. ``None``
means "no preference": the browser's language decides."""

from __future__ import annotations

from dataclasses import dataclass, field

from netbank.domain.customer import Customer
from netbank.domain.errors import AuthenticationFailed
from netbank.domain.institution import Teller
from netbank.domain.locale import ensure_supported_locale
from netbank.services import auth
from netbank.services.common import CustomerActor, TellerActor, Visitor
from netbank.services.ports import Deps, UnitOfWork


def _checked(locale: str | None) -> str | None:
    return None if locale is None else ensure_supported_locale(locale)


def _record(uow: UnitOfWork, *, customer_id: int | None, teller_id: int | None) -> Customer | Teller | None:
    """The record a preference is kept on: the member of staff's, else the customer's (locked)."""
    if teller_id is not None:
        return uow.tellers.get(teller_id)
    if customer_id is not None:
        return uow.customers.get(customer_id, for_update=True)
    return None


def _store(uow: UnitOfWork, record: Customer | Teller | None, chosen: str | None) -> None:
    if record is not None and record.preferred_locale != chosen:
        record.preferred_locale = chosen
        uow.commit()


def customer_locale(deps: Deps, actor: CustomerActor) -> str | None:
    """The language the signed-in customer prefers, or None."""
    with deps.uow(readonly=True) as uow:
        customer = uow.customers.get(actor.customer_id)
        return customer.preferred_locale if customer else None


@dataclass(frozen=True)
class SetPreferredLocale:
    """The language of your pages after sign-in (ko / zh / en), or None for none."""

    preferred_locale: str | None


def set_customer_locale(deps: Deps, actor: CustomerActor, cmd: SetPreferredLocale) -> str | None:
    """The signed-in customer prefers ``cmd.preferred_locale`` (ko / zh / en; anything else is
    refused with ``LOCALE_UNSUPPORTED``), or no language any more (None). Returns what is now
    stored."""
    chosen = _checked(cmd.preferred_locale)
    with deps.uow() as uow:
        _store(uow, _record(uow, customer_id=actor.customer_id, teller_id=None), chosen)
    return chosen


def staff_locale(deps: Deps, actor: TellerActor) -> str | None:
    """The language the signed-in member of staff prefers, or None."""
    with deps.uow(readonly=True) as uow:
        teller = uow.tellers.get(actor.teller_id)
        return teller.preferred_locale if teller else None


def set_staff_locale(deps: Deps, actor: TellerActor, cmd: SetPreferredLocale) -> str | None:
    """As :func:`set_customer_locale`, for a teller, an admin or an auditor."""
    chosen = _checked(cmd.preferred_locale)
    with deps.uow() as uow:
        _store(uow, _record(uow, customer_id=None, teller_id=actor.teller_id), chosen)
    return chosen


@dataclass(frozen=True)
class ChooseLocale:
    """The web's language switch: ``locale``, for the session of ``token`` if there is one."""

    locale: str
    token: str | None = field(default=None, repr=False)


def choose_locale(deps: Deps, actor: Visitor, cmd: ChooseLocale) -> bool:
    """The web's language switch: the locale must be supported (else ``LOCALE_UNSUPPORTED``);
    when the token is a live session, its customer or member of staff now prefers it. Returns
    whether a record was updated (a visitor who is not signed in keeps the choice in their
    browser only)."""
    chosen = ensure_supported_locale(cmd.locale)
    token = cmd.token
    if not token:
        return False
    with deps.uow() as uow:
        try:
            session = auth.live_session(deps, uow, token)
        except AuthenticationFailed:
            return False
        record = _record(uow, customer_id=session.customer_id, teller_id=session.teller_id)
        if record is None or (isinstance(record, Teller) and record.locked):
            return False
        _store(uow, record, chosen)
    return True
