from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, EmailStr, Field

CENT = Decimal("0.01")
INT64_MAX = 2**63 - 1


def utc_ms(value: datetime) -> datetime:
    """UTC, truncated to the millisecond: the precision every backend can keep."""
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def now() -> datetime:
    return utc_ms(datetime.now(UTC))


Timestamp = Annotated[AwareDatetime, AfterValidator(utc_ms)]
Email = Annotated[EmailStr, Field(max_length=320), AfterValidator(str.lower)]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False),
    AfterValidator(lambda value: value.quantize(CENT)),
]
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
