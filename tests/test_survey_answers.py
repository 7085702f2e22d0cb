"""Numbers as people type them into a survey's number box (surveys.answers.read_typed_number)."""

import pytest

from surveys.answers import format_number, read_typed_number


@pytest.mark.parametrize("typed, number", [
    ("12", 12), (" 12 ", 12), ("2.5", 2.5), ("2,5", 2.5), (" 2,50 ", 2.5), (",5", 0.5), (".5", 0.5),
    ("0,500", 0.5),  # a leading zero: only a decimal comma makes sense
    ("-5", -5), ("−3", -3), ("–3", -3),  # the minus sign and en dash word processors and phones type
    ("１２", 12), ("١٢", 12), ("٣٫٥", 3.5), ("١٫٥٠٠", 1.5),  # full-width and Arabic-Indic digits, Arabic decimal separator
    ("1e3", 1000), ("+4", 4), ("1.500", 1.5),
])
def test_numbers_read_as_the_person_meant_them(typed, number):
    assert read_typed_number(typed) == (number, None)


@pytest.mark.parametrize("typed", ["", "abc", "10²", "½", "1_000", "inf", "nan", "2 5", "1,2,3", "--3"])
def test_what_is_no_number_is_not_read_as_one(typed):
    """10² was read as 102 (NFKC turns ² into 2); 1_000 is a number only to Python."""
    assert read_typed_number(typed) == (None, None)


@pytest.mark.parametrize("typed, message", [
    ("1,500", "Please write 1,500 without the comma (1500), or with a point if you meant a decimal (1.5)."),
    ("-2,000", "Please write -2,000 without the comma (-2000), or with a point if you meant a decimal (-2)."),
    ("1,000,000", "Please write 1,000,000 without the separators between thousands: 1000000."),
    ("1 000", "Please write 1 000 without the separators between thousands: 1000."),
    ("1.234,5", "Please write 1.234,5 without the separators between thousands: 1234.5."),
    ("1,234.5", "Please write 1,234.5 without the separators between thousands: 1234.5."),
    ("1'000", "Please write 1'000 without the separators between thousands: 1000."),
])
def test_what_could_mean_two_numbers_is_asked_about_not_guessed(typed, message):
    assert read_typed_number(typed) == (None, message)


@pytest.mark.parametrize("number, shown", [(12.0, "12"), (2.5, "2.5"), (1234567.0, "1234567"), (12.345678, "12.345678"),
                                           (0.1 + 0.2, "0.3"), (-3.0, "-3")])
def test_a_saved_number_is_shown_back_exactly_so_saving_it_again_changes_nothing(number, shown):
    """The box is refilled with the saved answer: 1234567 came back as 1.23457e+06, saved as 1234570."""
    assert format_number(number) == shown
    assert read_typed_number(shown) == (float(shown), None)
