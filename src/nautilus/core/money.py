"""Exact money and quantities: ``Decimal`` at an instrument's precision.

Floats never enter the ledger. Conversions from user input go through ``to_decimal``, which
rejects non-finite values and values finer than the allowed precision.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from nautilus.core.errors import ValidationError


def to_decimal(value: Any, *, field: str = "value") -> Decimal:
    """Parse ``value`` (str, int, Decimal, or float via its shortest repr) into a finite Decimal."""
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(f"{field} is not a number: {value!r}", code="invalid_number") from exc
    if not d.is_finite():
        raise ValidationError(f"{field} must be finite, got {value!r}", code="non_finite")
    return d


def quantize(value: Decimal, precision: int) -> Decimal:
    """Round half-even to ``precision`` decimal places."""
    return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_EVEN)


def check_precision(value: Decimal, precision: int, *, field: str = "value") -> Decimal:
    """Return ``value`` if it has at most ``precision`` decimals, else raise ``ValidationError``."""
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > precision:
        raise ValidationError(
            f"{field} {value} has more than {precision} decimal places",
            code="invalid_precision",
        )
    return value


def check_increment(value: Decimal, increment: Decimal, *, field: str = "value") -> Decimal:
    """Return ``value`` if it is a whole multiple of ``increment`` (tick or lot size)."""
    if increment > 0 and value % increment != 0:
        raise ValidationError(
            f"{field} {value} is not a multiple of {increment}", code="invalid_increment"
        )
    return value
