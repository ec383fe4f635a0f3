"""Which concepts a piece of Python uses, read from its syntax tree (never by running it)."""

from __future__ import annotations

import pytest

from course_agent.domain.concepts import CONCEPTS, concepts_in


@pytest.mark.parametrize(
    ("source", "concepts"),
    [
        ("total = price * 3\nprint(total)", set()),
        ("assert total == 6", {"assert"}),
        ("def f(x):\n    return x", {"def", "return"}),
        ("for c in 'ab':\n    print(c)", {"for"}),
        ("while n:\n    n -= 1\n    break", {"while", "break-continue"}),
        ("print(f'{name}!')", {"f-string"}),
        ("first = word[0]\nrest = word[1:]", {"indexing"}),
        ("label = 'yes' if ok else 'no'", {"if"}),
        ("pair = (1, 2)", {"tuple"}),
        ("a, b = b, a", {"tuple", "unpacking"}),
        ("first, *rest = items", {"unpacking"}),
        ("squares = [n * n for n in numbers]", {"comprehension"}),
        ("total = sum(n for n in numbers)", {"generator-expression"}),
        ("ages = {'ada': 36}", {"dict"}),
        ("seen = {1, 2}", {"set"}),
        ("class Point:\n    pass", {"class"}),
        ("try:\n    x = int(s)\nexcept ValueError:\n    raise", {"try", "raise"}),
        ("with open(p) as f:\n    text = f.read()", {"with"}),
        ("import math", {"import"}),
        ("if (n := len(s)) > 3:\n    print(n)", {"walrus", "if"}),
        ("key = lambda item: item", {"lambda"}),
        ("async def main():\n    await job()", {"async"}),
    ],
)
def test_the_concepts_a_snippet_uses_are_read_from_its_syntax(source: str, concepts: set[str]) -> None:
    assert concepts_in(source) == concepts


def test_a_type_hint_is_not_indexing_and_counts_only_as_a_hint() -> None:
    assert concepts_in("names: list[str] = []") == {"type-hints", "list"}
    assert concepts_in("def f(x: dict[str, int]) -> tuple[int, ...]:\n    return 1") == {"def", "return", "type-hints"}


def test_a_generator_function_uses_def_and_yield_and_a_decorated_one_decorators() -> None:
    assert concepts_in("@cache\ndef f(*args):\n    yield 1") == {"def", "yield", "decorator", "star-args"}


def test_code_that_does_not_parse_is_an_error_not_an_empty_set() -> None:
    with pytest.raises(SyntaxError):
        concepts_in("def broken(:")


def test_the_vocabulary_has_no_duplicates() -> None:
    assert len(set(CONCEPTS)) == len(CONCEPTS)


def test_a_class_that_only_names_its_base_is_an_exception_class_and_any_other_a_class() -> None:
    assert concepts_in("class Oops(Exception):\n    pass") == {"exception-class"}
    assert concepts_in('class Oops(ValueError):\n    """Bad input."""') == {"exception-class"}
    assert concepts_in("class Oops(Exception):\n    code = 3") == {"class"}
    assert concepts_in("class Empty:\n    pass") == {"class"}
