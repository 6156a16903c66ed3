"""Numbers typed into forms are read the way the team writes them, and refused when they cannot
be read for certain, with a sentence that names the field and what was typed."""

from __future__ import annotations

import pytest

from planning import i18n
from planning.numbers import NumberEntryError, entry_text, read_number


def read(text: str, locale: str, **rules: object) -> float | None:
    return read_number(text, field="Target", locale=locale, **rules)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1.234,5", 1234.5),
        ("1234,5", 1234.5),
        ("1.234.567,25", 1234567.25),
        ("-1.234,5", -1234.5),
        ("−3,5", -3.5),  # the minus sign a word processor writes
        ("+2", 2.0),
        (",5", 0.5),
        ("1,2345", 1.2345),
        ("1.234", 1234.0),  # a German point groups thousands
        ("  7  ", 7.0),
    ],
)
def test_a_german_team_writes_a_decimal_comma(typed: str, number: float) -> None:
    assert read(typed, "de") == pytest.approx(number)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1,234.5", 1234.5),
        ("1234.5", 1234.5),
        ("1,234,567.25", 1234567.25),
        ("-1,234.5", -1234.5),
        (".5", 0.5),
        ("1,234", 1234.0),
        ("0.023", 0.023),
    ],
)
def test_an_english_team_writes_a_decimal_point(typed: str, number: float) -> None:
    assert read(typed, "en") == pytest.approx(number)


@pytest.mark.parametrize(
    ("typed", "locale"),
    [
        ("1,234.5", "de"),  # English grouping in a German team
        ("1234.5", "de"),
        ("1.2345", "de"),  # a point in the wrong place is not read as 12345
        ("1.23.456", "de"),
        ("1.234,5", "en"),
        ("1234,5", "en"),
        ("1,2345", "en"),
        ("1 234,5", "de"),
    ],
)
def test_the_other_languages_separators_are_refused_not_guessed(typed: str, locale: str) -> None:
    with pytest.raises(NumberEntryError):
        read(typed, locale)


@pytest.mark.parametrize(
    "typed",
    [
        "1e309",
        "1e3",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "١٢٣",  # Arabic-Indic digits
        "１２３",  # full-width digits
        "0x10",
        "1_000",
        "12abc",
        "--5",
        "5-",
        "=1+1",
        "<script>1</script>",
        "9" * 41,
        "1" + "0" * 400,
        ",",
        "-",
    ],
)
def test_hostile_or_garbage_input_is_refused(typed: str) -> None:
    for locale in ("de", "en"):
        with pytest.raises(NumberEntryError) as refused:
            read(typed, locale)
        assert str(refused.value).startswith("Target: “")


def test_a_refusal_names_the_field_quotes_what_was_typed_and_shows_the_teams_way() -> None:
    with pytest.raises(NumberEntryError) as refused:
        read("12,34.5", "de")
    assert str(refused.value) == "Target: “12,34.5” is not a number; write it like 1.234,5."
    with pytest.raises(NumberEntryError) as refused:
        read("x" * 500, "en")
    message = str(refused.value)
    assert "x" * 24 + "…" in message and "x" * 25 not in message  # long input is cut short
    assert message.endswith("write it like 1,234.5.")


def test_a_refusal_reads_in_the_persons_language() -> None:
    with i18n.use_locale("de"), pytest.raises(NumberEntryError) as refused:
        read_number("abc", field="Gewicht", locale="de")
    assert str(refused.value) == "Gewicht: „abc“ ist keine Zahl; schreiben Sie sie wie 1.234,5."


def test_empty_is_none_unless_required() -> None:
    assert read("", "de") is None
    assert read("   ", "en") is None
    with pytest.raises(NumberEntryError, match="Target: enter a number"):
        read(" ", "en", required=True)


def test_the_lowest_and_highest_allowed_are_checked() -> None:
    assert read("0", "de", minimum=0.0, maximum=1.0) == 0.0
    assert read("1", "de", minimum=0.0, maximum=1.0) == 1.0
    with pytest.raises(NumberEntryError) as refused:
        read("-0,5", "de", minimum=0.0)
    assert str(refused.value) == "Target: -0,5 is below the lowest allowed, 0."
    with pytest.raises(NumberEntryError) as refused:
        read("1.000,5", "de", maximum=520.0)
    assert str(refused.value) == "Target: 1.000,5 is above the highest allowed, 520."


def test_a_percentage_may_carry_its_sign() -> None:
    assert read("12,5 %", "de", percent=True) == 12.5
    assert read("12.5%", "en", percent=True) == 12.5
    with pytest.raises(NumberEntryError):
        read("12,5 %", "de")  # only a percent field takes %
    with pytest.raises(NumberEntryError):
        read("12 %%", "de", percent=True)


def test_an_amount_may_carry_the_teams_currency() -> None:
    assert read("1.234,50 €", "de", currency="EUR") == 1234.5
    assert read("-1.234,50 EUR", "de", currency="EUR") == -1234.5
    assert read("$1,234.50", "en", currency="USD") == 1234.5
    assert read("-$5", "en", currency="USD") == -5.0
    with pytest.raises(NumberEntryError):
        read("1.234,50 $", "de", currency="EUR")  # another currency's sign


@pytest.mark.parametrize("locale", ["de", "en", "de_CH", "fr", "en_IN", "hi", "ar", "fa"])
@pytest.mark.parametrize(
    "value", [0.0, 1234.5, -1234.5, 0.023, 95.456, 1e9, 123456.789, 250000.25, 1234567.5]
)
def test_a_shown_value_reads_back_as_itself(locale: str, value: float) -> None:
    assert read(entry_text(value, locale=locale), locale) == pytest.approx(value)
    amount = entry_text(value, locale=locale, currency="EUR")
    assert read(amount, locale, currency="EUR") == pytest.approx(value)


def test_a_shown_value_is_grouped_the_teams_way() -> None:
    assert entry_text(1234.5, locale="de") == "1.234,5"
    assert entry_text(1234.5, locale="en") == "1,234.5"
    assert entry_text(95.456, locale="de", currency="EUR") == "95,456\u00a0€"
    assert entry_text(1234.5, locale="en", currency="USD") == "$1,234.50"
    assert entry_text(None, locale="de") == ""
    assert entry_text(250000.5, locale="en_IN") == "2,50,000.5"  # India groups by lakh
    assert entry_text(1234567.5, locale="de_CH") == "1\u2019234\u2019567.5"


def test_swiss_grouping_takes_the_apostrophe_a_keyboard_types() -> None:
    assert read("1'234.5", "de_CH") == 1234.5
    assert read("1\u2019234.5", "de_CH") == 1234.5
