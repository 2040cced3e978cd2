"""Personal data never survives redaction; ordinary text does."""
from __future__ import annotations

import pytest

from knowledge.redact import luhn_ok, redact


def with_check_digit(nine: str) -> str:
    """A valid 10-digit personnummer from its first nine digits."""
    return next(nine + str(d) for d in range(10) if luhn_ok(nine + str(d)))


PNR10 = with_check_digit("811218987")          # 811218-987x
SAMORDNING = with_check_digit("701263239")     # day 63 = 3rd + 60


@pytest.mark.parametrize(
    "text,secret",
    [
        (f"mitt personnummer är {PNR10[:6]}-{PNR10[6:]}", PNR10[6:]),
        (f"pnr {PNR10}", PNR10),
        (f"född 19{PNR10[:6]}-{PNR10[6:]}", PNR10[6:]),
        (f"19{PNR10}", PNR10),
        (f"samordningsnummer {SAMORDNING[:6]}-{SAMORDNING[6:]}", SAMORDNING[6:]),
        (f"{PNR10[:6]}+{PNR10[6:]} (över hundra år)", PNR10[6:]),
        ("ring mig på 070-123 45 67", "123 45 67"),
        ("mobil 0701234567", "0701234567"),
        ("nummer +46 70 123 45 67", "123 45 67"),
        ("växeln 08-123 456 78", "456 78"),
        ("mejla anna.svensson@kommun.se", "anna.svensson"),
        ("han bor på Storgatan 12B", "Storgatan"),
        ("adressen är Björkvägen 5 i stan", "Björkvägen"),
        ("postnummer 123 45 Stockholm", "123 45"),
        ("jag heter Kalle Persson", "Kalle"),
        ("klienten som heter Zlatan Jovanovic skrek", "Jovanovic"),
        ("Anna Svensson hotade mig", "Svensson"),
        ("min kollega Mohammed sa det", "Mohammed"),
    ],
)
def test_personal_data_is_removed(text, secret):
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Vad gör jag om jag blir erbjuden en gåva?",
        "Ring 112 eller 114 14",
        "ordernummer 1234567890",
        "Försäkringskassan och Arbetsmiljöverket",
        "ärendet 2026-11-23 kl 14.30",
    ],
)
def test_ordinary_text_is_kept(text):
    assert redact(text) == text
