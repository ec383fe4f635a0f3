"""Leaderboard display names: stable per learner, keyed, never the id."""

from user_progress.domain.pseudonyms import display_name


def test_a_learner_keeps_the_same_name() -> None:
    assert display_name("ada@example.com", b"k" * 16) == display_name("ada@example.com", b"k" * 16)


def test_the_name_depends_on_the_key_so_a_guessed_id_cannot_be_checked_without_it() -> None:
    assert display_name("ada@example.com", b"k" * 16) != display_name("ada@example.com", b"j" * 16)


def test_the_name_never_contains_the_id() -> None:
    name = display_name("ada", b"k" * 16)

    assert "ada" not in name.lower()
    adjective, animal, number = name.split(" ")
    assert adjective.isalpha()
    assert animal.isalpha()
    assert len(number) == 4
    assert number.isdigit()


def test_a_thousand_learners_rarely_share_a_name() -> None:
    names = {display_name(f"learner-{n}", b"k" * 16) for n in range(1000)}

    assert len(names) >= 995
