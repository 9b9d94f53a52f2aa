"""Outbox senders: a file sender for development and demos, and an HTTP webhook sender for a
real SMS / voice gateway. Message texts come from the i18n catalogs."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from netbank.adapters.i18n import catalogs
from netbank.domain.customer import mask_phone


def render(kind: str, payload: Mapping[str, Any]) -> str:
    """The text a customer receives, in the institution's language."""
    language = str(payload.get("language", "en"))
    msgid = f"message.{payload.get('template', 'challenge_code')}.{kind}"
    return catalogs().message(language, msgid, **payload)


class FileSender:
    """Development and demo delivery: appends each message to a file (``netbank outbox tail``
    shows it). It exists to show codes; never use it in production."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def send(
        self, *, message_id: int, dedup_key: str, kind: str, recipient: str, payload: Mapping[str, Any]
    ) -> None:
        line = json.dumps(
            {
                "id": message_id,
                "dedup_key": dedup_key,
                "kind": kind,
                "to": mask_phone(recipient),
                "text": render(kind, payload),
            },
            ensure_ascii=False,
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class WebhookSender:
    """POSTs ``{"id", "kind", "to", "text"}`` to a gateway with an ``Idempotency-Key`` header
    (the gateway drops a repeat: delivery is at least once on our side, once on theirs). Any
    non-2xx answer or network error raises, and the dispatcher retries with back-off."""

    def __init__(self, url: str, *, token: str | None = None, timeout_seconds: float = 10.0) -> None:
        self.url = url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(timeout=timeout_seconds, headers=headers)

    def send(
        self, *, message_id: int, dedup_key: str, kind: str, recipient: str, payload: Mapping[str, Any]
    ) -> None:
        body = {"id": message_id, "kind": kind, "to": recipient, "text": render(kind, payload)}
        response = self.client.post(self.url, json=body, headers={"Idempotency-Key": dedup_key})
        response.raise_for_status()
