"""Posted forms, read with the API's own input models, and refusals as a page shows them.

A form posts the fields of the API's input model (``entrypoints/api/schemas``), under the same
names; :func:`read_form` validates them with that model, so the web refuses what the API
refuses, in the same words. Fields left blank count as not given (an optional field keeps its
default); fields the model does not know (the CSRF token, a step-up's resume fields) are left
for their own readers; path parameters of the same name are taken as if posted."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from netbank.adapters.i18n import catalogs
from netbank.domain.errors import Code, DomainError, InvalidRequest
from netbank.entrypoints.web.common import locale_of, message_of, parse_amount

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F")

#: The longest text a typed form keeps of a field (the API's model then checks it).
LONGEST_TYPED = 140


@dataclass(frozen=True)
class Refusal:
    """A refusal to show above a form: its code and localized message."""

    code: str
    message: str


def refusal_of(request: Request, exc: DomainError) -> Refusal:
    return Refusal(exc.code.value, message_of(locale_of(request), exc))


def text_of(request: Request, msgid: str) -> str:
    """A ``web.`` word in the visitor's language (for a message built by a route)."""
    return catalogs().message(locale_of(request), msgid)


async def read_form(request: Request, model: type[M]) -> M:
    """The posted form as ``model`` validates it (a RequestValidationError names the field)."""
    posted = await request.form()
    data: dict[str, object] = {
        name: value
        for name, value in posted.multi_items()
        if name in model.model_fields and isinstance(value, str) and value.strip()
    }
    data.update({k: v for k, v in request.path_params.items() if k in model.model_fields})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc


def form_model(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A route dependency: the posted form read with ``model`` (:func:`read_form`)."""

    async def read(request: Request) -> M:
        return await read_form(request, model)

    return read


def validated(model: type[M], data: Mapping[str, object]) -> M:
    """``data`` a page put together (an amount converted, a choice resolved) as ``model``
    validates it; a field it refuses is ``REQUEST_VALIDATION`` naming the field, shown on the
    form like any refusal."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        problems = exc.errors()
        field = ".".join(str(p) for p in problems[0].get("loc", ())) if problems else ""
        raise InvalidRequest(Code.REQUEST_VALIDATION, field=field) from exc


def amount_in_minor_units(text: str, currency: str, field: str = "amount") -> int:
    """An amount typed in major units of ``currency`` (``"100.5"`` CNY is 10050 fen); one that
    is not is ``REQUEST_VALIDATION`` naming ``field``."""
    minor = parse_amount(text, currency)
    if minor is None:
        raise InvalidRequest(Code.REQUEST_VALIDATION, field=field)
    return minor


def new_idempotency_key() -> str:
    """The key a rendered payment form carries (one per form: a resubmission is a replay)."""
    return "web-" + secrets.token_urlsafe(18)


def typed(form: type[F], values: Mapping[str, Any]) -> F:
    """A form dataclass of text fields (a payment form) as typed: the given values of its
    fields, cut at :data:`LONGEST_TYPED`; its defaults for the rest. Kept as typed so that the
    page can show it again; the API's model checks it when it becomes a command."""
    given = {
        f.name: value[:LONGEST_TYPED]
        for f in dataclasses.fields(form)  # type: ignore[arg-type]
        if isinstance(value := values.get(f.name), str) and value
    }
    return form(**given)


def typed_form(form: type[F]) -> Callable[[Request], Awaitable[F]]:
    """A route dependency: the posted form as :func:`typed` reads it."""

    async def read(request: Request) -> F:
        return typed(form, await request.form())

    return read
