"""What every request and response shape shares: the field types (syntax checked at the edge:
lengths, patterns, ranges) and the base models. An input model that carries a use case is a
:class:`CommandModel`: it turns into its service command field for field, so a field has one
name in the API, the web forms (which validate with the same models), the commands and the
OpenAPI (``tests/unit/test_command_models.py`` holds that)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"

InstitutionCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")]
CustomerNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,32}$")]
AccountNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,32}$")]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=PRINTABLE)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=PRINTABLE)]
DocumentNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z -]{4,32}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{5,24}$")]
UkeySerial = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,64}$")]
RowId = Annotated[int, Field(ge=1, le=2**53)]
TellerNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,32}$")]
BranchCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
OTPCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,8}$")]
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{8,64}$")]
Amount = Annotated[int, Field(gt=0, le=10**15, description="Integer minor units (fen for CNY, won for KRW)")]
Reference = Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
PayeeCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
LimitAmount = Annotated[int, Field(ge=0, le=10**15)]
Base64 = Annotated[str, StringConstraints(min_length=4, max_length=16384, pattern=r"^[A-Za-z0-9+/=\s]+$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


C = TypeVar("C")


class CommandModel(Model, Generic[C]):
    """An input model whose fields are its command's (``command_type``); what the request
    does not carry (a path parameter, say) comes as ``context``."""

    command_type: ClassVar[type[Any]]

    def command(self, **context: Any) -> C:
        return self.command_type(**dict(self), **context)  # type: ignore[no-any-return]
