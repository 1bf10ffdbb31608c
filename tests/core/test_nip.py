"""NIP validation and masking."""

import datetime as dt

import pytest

from asnkarier.services.nip import InvalidNip, mask_nip, mask_phone, parse_nip

TODAY = dt.date(2026, 11, 22)


def test_valid_nip_is_parsed() -> None:
    info = parse_nip("198703152010011002", today=TODAY)
    assert info.birth_date == dt.date(1987, 3, 15)
    assert info.appointed == (2010, 1)
    assert info.sex == "L"
    assert info.serial == 2


def test_female_digit_and_spreadsheet_float_suffix() -> None:
    assert parse_nip("199001012015032001.0", today=TODAY).sex == "P"


@pytest.mark.parametrize(
    ("nip", "reason"),
    [
        ("19870315201001100", "18 digit"),
        ("1987031520100110022", "18 digit"),
        ("19870315201001100A", "angka"),
        ("198713152010011002", "tanggal lahir"),
        ("198702302010011002", "tanggal lahir"),
        ("198703152010131002", "bulan pengangkatan"),
        ("198703152010001002", "bulan pengangkatan"),
        ("198703152010013002", "jenis kelamin"),
        ("198703152010011000", "000"),
        ("198703151995011002", "pengangkatan"),  # appointed at 7
        ("198703152030011002", "pengangkatan"),  # appointed in the future
        ("190003152010011002", "tidak masuk akal"),  # born 1900
    ],
)
def test_invalid_nips_are_rejected_with_a_reason(nip: str, reason: str) -> None:
    with pytest.raises(InvalidNip, match=reason):
        parse_nip(nip, today=TODAY)


def test_masking_keeps_only_the_tail() -> None:
    assert mask_nip("198703152010011002") == "**************1002"
    assert "19870315" not in mask_nip("198703152010011002")
    assert mask_phone("081234567890") == "0812******90"
