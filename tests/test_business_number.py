"""CRA Business Numbers: the Luhn check digit, normalisation, bilingual errors, program accounts, issuing."""

import dataclasses
import random

import pytest

from licences.business_number import (
    PROGRAMS,
    BusinessNumberError,
    ProgramAccount,
    check_digit,
    is_valid_business_number,
    new_business_number,
    parse_business_number,
    parse_program_account,
)

# Worked by hand: double the 2nd, 4th, 6th and 8th digits, add the digits of each product (16 -> 1 + 6 = 7),
# add everything, and the check digit is what takes the total up to the next multiple of 10.
#   12345678: 1 + (2*2=4) + 3 + (4*2=8) + 5 + (6*2=12 -> 3) + 7 + (8*2=16 -> 7) = 38 -> 2: 123456782
#   04645428 (the classic valid SIN example): 0 + 8 + 6 + 8 + 5 + 8 + 2 + (16 -> 7) = 44 -> 6: 046454286
#   13069254 (the SIN example on Wikipedia): 1 + 6 + 0 + (12 -> 3) + 9 + 4 + 5 + 8 = 36 -> 4: 130692544
#   87654321: 8 + (14 -> 5) + 6 + (10 -> 1) + 4 + 6 + 2 + 2 = 34 -> 6: 876543216
#   99999999: 4 * 9 + 4 * (18 -> 9) = 72 -> 8: 999999998
#   10000000: 1 -> 9: 100000009;  01000000: 2 -> 8: 010000008;  10000009: 1 + (18 -> 9) = 10 -> 0: 100000090
#   10987654: 1 + 0 + 9 + (16 -> 7) + 7 + (12 -> 3) + 5 + 8 = 40 -> 0: 109876540
HAND_CHECKED = ["123456782", "046454286", "130692544", "876543216", "999999998", "100000009", "010000008"]


def luhn_valid(number: str) -> bool:
    """An independent oracle: the textbook Luhn test over all digits, doubling every 2nd from the RIGHT."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit // 10 + digit % 10
    return total % 10 == 0


def error_for(value: str) -> BusinessNumberError:
    with pytest.raises(BusinessNumberError) as caught:
        parse_business_number(value)
    return caught.value


def account_error_for(value: str) -> BusinessNumberError:
    with pytest.raises(BusinessNumberError) as caught:
        parse_program_account(value)
    return caught.value


def test_the_reference_examples():
    assert is_valid_business_number("123456782")
    assert not is_valid_business_number("123456789")
    assert check_digit("12345678") == "2"


@pytest.mark.parametrize("number", HAND_CHECKED)
def test_the_check_digit_matches_hand_checked_numbers(number):
    assert luhn_valid(number)
    assert check_digit(number[:8]) == number[8]
    assert parse_business_number(number) == number


def test_the_check_digit_agrees_with_the_textbook_luhn_test():
    rng = random.Random(2024)
    for _ in range(500):
        first_eight = f"{rng.randrange(100_000_000):08d}"
        for last in "0123456789":
            assert luhn_valid(first_eight + last) == (check_digit(first_eight) == last)


@pytest.mark.parametrize("value", ["1234567", "123456789", "1234567a", "", "١٢٣٤٥٦٧٨"])
def test_check_digit_needs_exactly_eight_ascii_digits(value):
    with pytest.raises(ValueError):
        check_digit(value)


@pytest.mark.parametrize("number", HAND_CHECKED)
def test_every_single_digit_change_is_detected(number):
    for position in range(9):
        for digit in "0123456789":
            if digit != number[position]:
                assert not is_valid_business_number(number[:position] + digit + number[position + 1 :])


@pytest.mark.parametrize("number", [*HAND_CHECKED, "100000090", "109876540"])
def test_adjacent_transpositions_are_detected_except_09_and_90(number):
    for position in range(8):
        pair = number[position : position + 2]
        swapped = number[:position] + pair[::-1] + number[position + 2 :]
        if pair[0] != pair[1] and pair not in ("09", "90"):
            assert not is_valid_business_number(swapped), swapped


def test_swapping_09_is_the_transposition_luhn_cannot_see():
    # Documented so nobody believes the check digit catches everything: both numbers are valid.
    assert is_valid_business_number("100000009")
    assert is_valid_business_number("100000090")


@pytest.mark.parametrize(
    "value", ["123 456 782", "123-456-782", " 123456782 ", "123\u00a0456\u00a0782", "123 - 456 - 782\t"]
)
def test_spaces_and_hyphens_are_ignored(value):
    assert parse_business_number(value) == "123456782"
    assert is_valid_business_number(value)


NOT_NINE_DIGITS = (
    "length",
    "A Business Number has 9 digits (spaces and hyphens are ignored).",
    "Un numéro d'entreprise compte 9 chiffres (les espaces et les traits d'union sont ignorés).",
)
ALL_ZEROS = (
    "all_zeros",
    "A Business Number cannot be all zeros.",
    "Un numéro d'entreprise ne peut pas être composé uniquement de zéros.",
)
WRONG_CHECK_DIGIT = (
    "check_digit",
    "The check digit (the 9th digit) is wrong. Check the number for a typing error.",
    "Le chiffre de contrôle (le 9e chiffre) est erroné. Vérifiez s'il y a une erreur de saisie.",
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", NOT_NINE_DIGITS),
        ("12345678", NOT_NINE_DIGITS),
        ("1234567820", NOT_NINE_DIGITS),
        ("12345678A", NOT_NINE_DIGITS),
        ("123.456.782", NOT_NINE_DIGITS),
        ("١٢٣٤٥٦٧٨٢", NOT_NINE_DIGITS),  # Arabic-Indic digits pass str.isdigit() but are not a BN
        ("123456782RT0001", NOT_NINE_DIGITS),  # a program account is not a bare BN
        ("000000000", ALL_ZEROS),  # its check digit would be 0, so only the explicit rule stops it
        ("000-000-000", ALL_ZEROS),
        ("123456789", WRONG_CHECK_DIGIT),
        ("046454287", WRONG_CHECK_DIGIT),
    ],
)
def test_each_error_has_a_code_and_an_english_and_a_french_message(value, expected):
    code, english, french = expected
    error = error_for(value)
    assert isinstance(error, ValueError)
    assert (error.code, error.message_en, error.message_fr) == (code, english, french)
    assert (error.message.en, error.message.fr, str(error)) == (english, french, english)
    assert not is_valid_business_number(value)


def test_the_check_digit_error_never_reveals_the_right_digit():
    # The same message whatever the wrong digit, so the error cannot be used to complete a made-up number.
    errors = [error_for("12345678" + wrong) for wrong in "013456789"]
    assert {(error.message_en, error.message_fr) for error in errors} == {WRONG_CHECK_DIGIT[1:]}


def test_program_identifiers_have_names_in_both_languages():
    assert set(PROGRAMS) == {"RT", "RP", "RC", "RM", "RZ", "RR"}
    assert PROGRAMS["RT"].in_("en") == "GST/HST"
    assert PROGRAMS["RT"].in_("fr") == "TPS/TVH"
    assert all(name.en and name.fr for name in PROGRAMS.values())


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_program_accounts_round_trip(program):
    account = parse_program_account(f"123456782{program}0001")
    assert account == ProgramAccount("123456782", program, 1)
    assert str(account) == f"123456782 {program} 0001"
    assert parse_program_account(str(account)) == account


@pytest.mark.parametrize(
    "value",
    ["123456782 RT 0001", "123456782RT0001", "123456782 rt 0001", "123456782rT0001", "123-456-782-RT-0001"],
)
def test_program_accounts_are_read_in_any_case_with_or_without_spaces(value):
    assert parse_program_account(value) == ProgramAccount("123456782", "RT", 1)


def test_program_account_references_are_shown_on_four_digits():
    assert str(ProgramAccount("046454286", "RP", 42)) == "046454286 RP 0042"
    assert str(parse_program_account("046454286 RC 9999")) == "046454286 RC 9999"


def test_a_program_account_is_normalised_and_frozen():
    account = ProgramAccount("123 456 782", "rt", 1)
    assert account == ProgramAccount("123456782", "RT", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        account.reference = 2  # type: ignore[misc]


BAD_FORMAT = (
    "program_account",
    "A program account is written like 123456782 RT 0001 (9 digits, 2 letters, 4 digits).",
    "Un compte de programme s'écrit ainsi : 123456782 RT 0001 (9 chiffres, 2 lettres, 4 chiffres).",
)
UNKNOWN_PROGRAM = (
    "program",
    "The program identifier must be RC, RM, RP, RR, RT or RZ.",
    "L'identificateur de programme doit être RC, RM, RP, RR, RT ou RZ.",
)
BAD_REFERENCE = (
    "reference",
    "The reference number must be between 0001 and 9999.",
    "Le numéro de référence doit être compris entre 0001 et 9999.",
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123456782 XX 0001", UNKNOWN_PROGRAM),
        ("123456782 RT 0000", BAD_REFERENCE),
        ("123456782 RT 10000", BAD_FORMAT),  # five digits: not a reference at all
        ("123456782 RT 1", BAD_FORMAT),
        ("123456782 R 0001", BAD_FORMAT),
        ("123456782 RT", BAD_FORMAT),
        ("123456782", BAD_FORMAT),
        ("123456782 R1 0001", BAD_FORMAT),
        ("12345678 RT 0001", BAD_FORMAT),
        ("123456789 RT 0001", WRONG_CHECK_DIGIT),  # the BN inside is checked too
        ("000000000 RT 0001", ALL_ZEROS),
    ],
)
def test_bad_program_accounts_are_rejected_in_both_languages(value, expected):
    error = account_error_for(value)
    assert (error.code, error.message_en, error.message_fr) == expected


def test_the_unknown_program_message_names_every_program():
    for program in PROGRAMS:
        assert program in UNKNOWN_PROGRAM[1]
        assert program in UNKNOWN_PROGRAM[2]


@pytest.mark.parametrize(
    ("program", "reference"), [("XX", 1), ("RT", 0), ("RT", 10000), ("RT", -1), ("RT", True)]
)
def test_a_program_account_cannot_be_built_invalid(program, reference):
    with pytest.raises(BusinessNumberError) as caught:
        ProgramAccount("123456782", program, reference)
    assert caught.value.code == ("program" if program == "XX" else "reference")


def test_a_program_account_cannot_hold_an_invalid_business_number():
    with pytest.raises(BusinessNumberError) as caught:
        ProgramAccount("123456789", "RT", 1)
    assert caught.value.code == "check_digit"


def never_taken(bn: str) -> bool:
    return False


def test_new_business_numbers_are_valid_and_never_start_with_zero():
    rng = random.Random(7)
    numbers = [new_business_number(rng, taken=never_taken) for _ in range(500)]
    assert all(is_valid_business_number(n) and len(n) == 9 and luhn_valid(n) for n in numbers)
    assert {n[0] for n in numbers} == set("123456789")


def test_new_business_numbers_are_reproducible_with_a_seed():
    def five_from(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [new_business_number(rng, taken=never_taken) for _ in range(5)]

    assert five_from(42) == five_from(42)
    assert len(set(five_from(42))) == 5
    assert five_from(42) != five_from(43)


def test_new_business_numbers_default_to_the_system_source():
    assert is_valid_business_number(new_business_number(taken=never_taken))


def test_a_taken_number_is_skipped():
    asked: list[str] = []

    def first_three_taken(bn: str) -> bool:
        asked.append(bn)
        return len(asked) <= 3

    issued = new_business_number(random.Random(1), taken=first_three_taken)
    assert len(asked) == 4
    assert issued == asked[3]
    assert issued not in asked[:3]
    assert all(is_valid_business_number(bn) for bn in asked)


def test_it_gives_up_after_a_bounded_number_of_attempts():
    asked: list[str] = []

    def everything_taken(bn: str) -> bool:
        asked.append(bn)
        return True

    with pytest.raises(RuntimeError, match="100 attempts"):
        new_business_number(random.Random(3), taken=everything_taken)
    assert len(asked) == 100

    asked.clear()
    with pytest.raises(RuntimeError, match="5 attempts"):
        new_business_number(random.Random(3), taken=everything_taken, attempts=5)
    assert len(asked) == 5
