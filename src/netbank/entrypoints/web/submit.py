"""The one way a page runs a use case: call the service, then show what it did, or the form
again with the refusal (at its family's HTTP status; nothing was changed), or, for a session
too weak for it, the step-up page, which comes back to the form once the customer proved the
level (K2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from fastapi import Request
from fastapi.responses import Response

from netbank.domain.errors import DomainError, StepUpRequired
from netbank.entrypoints.api.errors import status_of
from netbank.entrypoints.web.forms import Refusal, refusal_of
from netbank.entrypoints.web.step_up import Resume, step_up_required
from netbank.services.common import CustomerActor
from netbank.services.ports import Deps

T = TypeVar("T")


class Again(Protocol):
    """The form again, with the refusal above it, answered with ``status``."""

    def __call__(self, *, refusal: Refusal, status: int) -> Response: ...


def run(
    request: Request,
    action: Callable[[], T],
    *,
    done: Callable[[T], Response],
    again: Again,
    step_up: tuple[Deps, CustomerActor, Resume] | None = None,
) -> Response:
    """Run ``action``: ``done`` with its result, or ``again`` with the refusal and its status;
    with ``step_up``, a K2 step-up answer shows the step-up page resuming its form."""
    try:
        result = action()
    except StepUpRequired as exc:
        if step_up is None:
            return again(refusal=refusal_of(request, exc), status=status_of(exc))
        deps, actor, resume = step_up
        return step_up_required(request, deps, actor, exc, resume)
    except DomainError as exc:
        return again(refusal=refusal_of(request, exc), status=status_of(exc))
    return done(result)
