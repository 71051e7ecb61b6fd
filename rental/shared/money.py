"""Money: an exact Decimal amount with a currency. No floats, ever."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from rental.shared.errors import ValidationError

# ISO 4217: the active codes of currencies in circulation, with their minor units (decimals).
# Left out on purpose: fund and accounting units (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW,
# XDR, XSU, XUA), precious metals and bond units (XAU, XAG, XPD, XPT, XBA-XBD), the test and
# "no currency" codes (XTS, XXX), and codes withdrawn by 2026 (ANG -> XCG, BGN -> EUR,
# CUC, HRK -> EUR, SLL -> SLE, ZWL -> ZWG). Nobody rents out equipment in those.
_TWO_DECIMALS = """
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD
HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA
MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN
QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP
TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
"""
_NO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
ISO_4217: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(_NO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "}


def minor_units(currency: str) -> int:
    """Decimals of the currency's minor unit (2 for codes outside the table, e.g. old data)."""
    return ISO_4217.get(currency, 2)


def is_iso_currency(code: str) -> bool:
    return code in ISO_4217


def clean_currency(raw: str | None) -> str:
    """A currency code typed by staff -> 'EUR'; codes that are not ISO 4217 are refused.
    (Money itself accepts any three letters so that older stored amounts still load.)"""
    code = (raw or "").strip().upper()
    if not code:
        raise ValidationError("Give the currency, e.g. EUR.", field="currency")
    if len(code) != 3 or not code.isalpha():
        raise ValidationError("A currency is a three-letter code such as EUR.", field="currency")
    if code not in ISO_4217:
        raise ValidationError(
            f"{code} is not a currency code we know. Use an ISO 4217 code such as EUR, USD or GBP.",
            field="currency",
        )
    return code


def _to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money does not accept floats; pass a Decimal, int or str.")
    try:
        result = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(f"'{value}' is not an amount of money.", field="amount") from exc
    if not result.is_finite():
        raise ValidationError("An amount of money must be a finite number.", field="amount")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = "EUR"

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _to_decimal(self.amount))
        currency = (self.currency or "").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ValidationError(
                "A currency is a three-letter code such as EUR.", field="currency"
            )
        object.__setattr__(self, "currency", currency)

    @classmethod
    def zero(cls, currency: str = "EUR") -> Money:
        return cls(Decimal(0), currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"Cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * _to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def rounded(self) -> Money:
        """Round once, half-up, to the currency's minor unit (cents for EUR)."""
        exponent = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(exponent, rounding=ROUND_HALF_UP), self.currency)

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def to_dict(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Money:
        return cls(Decimal(data["amount"]), data["currency"])

    def format(self) -> str:
        value = self.rounded()
        digits = minor_units(self.currency)
        text = f"{abs(value.amount):,.{digits}f}"
        sign = "\u2212" if value.amount < 0 else ""  # "−€3.80", not "€-3.80"
        symbol = _SYMBOLS.get(self.currency)
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {self.currency}"

    def __str__(self) -> str:
        return self.format()
