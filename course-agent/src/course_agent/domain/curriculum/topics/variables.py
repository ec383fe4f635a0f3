"""Variables, names and the basic built-in types."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Names point at values",
            block("""
                A *variable* is a name bound to a value with `=`:

                ```python
                age = 36
                name = "Ada"
                ```

                The right-hand side is evaluated first, then the name on the left is bound to the result.
                Re-assigning a name simply makes it point at a new value: `age = age + 1`.
                Names are case-sensitive, use `snake_case` by convention, and cannot start with a digit.
            """),
        ),
        (
            "The basic types",
            block("""
                Every value has a type you can inspect with `type()`:

                - `int` - whole numbers such as `42` (no size limit)
                - `float` - decimal numbers such as `3.14`
                - `str` - text such as `"hello"`
                - `bool` - `True` or `False`
                - `None` - the single value meaning "nothing here"

                Convert between them explicitly: `int("42")`, `str(3)`, `float("2.5")`.
                `input()` always returns a `str`, so convert before doing arithmetic.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Binding and re-binding names",
            code=block(r"""
                score = 10
                score = score + 5
                player = "Ada"
                print(player, "has", score, "points")
            """),
            expected_output="Ada has 15 points\n",
        ),
        CodeExample(
            title="Inspecting and converting types",
            code=block(r"""
                text = "42"
                number = int(text)
                print(type(text).__name__, type(number).__name__)
                print(number * 2, text * 2)
                print(float("2.5") + 1)
            """),
            expected_output="str int\n84 4242\n3.5\n",
        ),
    ),
    exercises=(
        Exercise(
            id="variables-b-1",
            prompt="Write `swap(a, b)` that returns the two values in the opposite order as a tuple `(b, a)`.",
            starter_code=block(r"""
                def swap(a, b):
                    ...
            """),
            hints=("A tuple is written `(x, y)`.", "You can return two values separated by a comma."),
            solution=block(r"""
                def swap(a, b):
                    return b, a
            """),
            tests=block(r"""
                assert swap(1, 2) == (2, 1)
                assert swap("x", None) == (None, "x")
            """),
        ),
        Exercise(
            id="variables-b-2",
            prompt=(
                'Write `total_price(quantity_text, unit_price)` where `quantity_text` is a string such as `"3"`; '
                "return the quantity times the unit price as a number."
            ),
            starter_code=block(r"""
                def total_price(quantity_text, unit_price):
                    pass
            """),
            hints=("Strings must be converted with `int()` before multiplying.",),
            solution=block(r"""
                def total_price(quantity_text, unit_price):
                    return int(quantity_text) * unit_price
            """),
            tests=block(r"""
                assert total_price("3", 2) == 6
                assert total_price("0", 9.5) == 0
                assert total_price("4", 2.5) == 10.0
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="variables-b-q1",
            question="What does `x = 5` then `x = x + 1` leave in `x`?",
            choices=("5", "6", "An error: x cannot change", "x + 1"),
            answer=1,
            explanation="The right side `x + 1` is evaluated first (6), then `x` is re-bound to that value.",
        ),
        QuizQuestion(
            id="variables-b-q2",
            question="What is `type(input())` when the user types 42?",
            choices=("int", "str", "float"),
            answer=1,
            explanation="`input()` always returns text; convert it with `int()` when you need a number.",
        ),
        QuizQuestion(
            id="variables-b-q3",
            question="Which of these is a valid variable name?",
            choices=("2nd_place", "second-place", "second_place", "class"),
            answer=2,
            explanation="Names cannot start with a digit, contain `-`, or be a keyword such as `class`.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "Mutable and immutable values",
            block("""
                Assignment never copies: `b = a` makes both names refer to the *same* object.
                That is harmless for immutable types (`int`, `str`, `tuple`), because "changing" them creates a new
                object. It matters for mutable types such as `list` and `dict`:

                ```python
                a = [1, 2]
                b = a
                b.append(3)   # a is now [1, 2, 3] too
                ```

                Use `a.copy()` or `list(a)` when you want an independent copy.
            """),
        ),
        (
            "Multiple assignment and unpacking",
            block("""
                Python can bind several names at once: `x, y = 1, 2`, and swap without a temporary:
                `x, y = y, x`. A starred name collects the rest: `first, *rest = [1, 2, 3]`.
                Use `is` only to compare with singletons such as `None` (`if value is None:`); use `==` for equality.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Two names, one list",
            code=block(r"""
                a = [1, 2]
                b = a
                b.append(3)
                c = a.copy()
                c.append(4)
                print(a, b, c)
                print(a is b, a is c)
            """),
            expected_output="[1, 2, 3] [1, 2, 3] [1, 2, 3, 4]\nTrue False\n",
        ),
        CodeExample(
            title="Unpacking",
            code=block(r"""
                first, *middle, last = [10, 20, 30, 40]
                print(first, middle, last)
                x, y = 1, 2
                x, y = y, x
                print(x, y)
            """),
            expected_output="10 [20, 30] 40\n2 1\n",
        ),
    ),
    exercises=(
        Exercise(
            id="variables-i-1",
            prompt="Write `head_tail(items)` returning `(first_item, list_of_the_rest)` using star-unpacking.",
            starter_code=block(r"""
                def head_tail(items):
                    raise NotImplementedError
            """),
            hints=("`first, *rest = items` works on any iterable.",),
            solution=block(r"""
                def head_tail(items):
                    first, *rest = items
                    return first, rest
            """),
            tests=block(r"""
                assert head_tail([1, 2, 3]) == (1, [2, 3])
                assert head_tail("ab") == ("a", ["b"])
                assert head_tail([7]) == (7, [])
            """),
        ),
        Exercise(
            id="variables-i-2",
            prompt=(
                "Write `with_item(items, item)` that returns a NEW list with `item` appended, "
                "leaving the original list unchanged."
            ),
            starter_code=block(r"""
                def with_item(items, item):
                    ...
            """),
            hints=("`items.append` mutates the caller's list.", "`items + [item]` builds a new list."),
            solution=block(r"""
                def with_item(items, item):
                    return [*items, item]
            """),
            tests=block(r"""
                original = [1, 2]
                result = with_item(original, 3)
                assert result == [1, 2, 3]
                assert original == [1, 2]
                assert result is not original
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="variables-i-q1",
            question="After `a = [1]; b = a; b.append(2)`, what is `a`?",
            choices=("[1]", "[1, 2]", "[2]", "An error"),
            answer=1,
            explanation="`b = a` binds a second name to the same list, so the append is visible through `a`.",
        ),
        QuizQuestion(
            id="variables-i-q2",
            question="How should you test whether `value` is None?",
            choices=("value == None", "value is None", "value.isnone()", "type(value) == None"),
            answer=1,
            explanation="`None` is a singleton, so identity (`is`) is the idiomatic and reliable check.",
        ),
        QuizQuestion(
            id="variables-i-q3",
            question="What does `a, *b = 'xyz'` bind to `b`?",
            choices=("'yz'", "['y', 'z']", "('y', 'z')"),
            answer=1,
            explanation="A starred target always collects the remaining items into a list.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Scopes and the LEGB rule",
            block("""
                Python resolves a name by looking in the **L**ocal, **E**nclosing, **G**lobal and **B**uilt-in
                scopes, in that order. Assigning to a name inside a function makes it local to that function
                unless it is declared `global` (module level) or `nonlocal` (enclosing function).
                Reading a name that is assigned later in the same function raises `UnboundLocalError`.
            """),
        ),
        (
            "Type hints and the walrus operator",
            block("""
                Annotations document intent and are checked by tools such as mypy, not at runtime:
                `count: int = 0`, `names: list[str] = []`, `maybe: str | None = None`.

                The assignment expression `:=` binds a name inside an expression, which avoids computing a value
                twice: `if (n := len(data)) > 10: print(n)`.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="nonlocal in a closure",
            code=block(r"""
                def make_counter():
                    count = 0

                    def increment() -> int:
                        nonlocal count
                        count += 1
                        return count

                    return increment

                counter = make_counter()
                counter()
                print(counter(), counter())
            """),
            expected_output="2 3\n",
        ),
        CodeExample(
            title="The walrus operator",
            code=block(r"""
                lines = ["short", "a much longer line", "mid-size"]
                long_ones = [(line, n) for line in lines if (n := len(line)) > 6]
                print(long_ones)
                names: list[str] = ["ada"]
                print(names, __annotations__["names"])
            """),
            expected_output="[('a much longer line', 18), ('mid-size', 8)]\n['ada'] list[str]\n",
        ),
    ),
    exercises=(
        Exercise(
            id="variables-a-1",
            prompt=(
                "Write `make_accumulator()` returning a function `add(x)` that adds `x` to a running total "
                "kept in the closure and returns the new total."
            ),
            starter_code=block(r"""
                def make_accumulator():
                    def add(x):
                        ...
                    return add
            """),
            hints=("Keep the total in the enclosing function.", "Use `nonlocal` to re-bind it."),
            solution=block(r"""
                def make_accumulator():
                    total = 0

                    def add(x):
                        nonlocal total
                        total += x
                        return total

                    return add
            """),
            tests=block(r"""
                acc = make_accumulator()
                assert acc(5) == 5
                assert acc(2) == 7
                other = make_accumulator()
                assert other(1) == 1
                assert acc(0) == 7
            """),
        ),
        Exercise(
            id="variables-a-2",
            prompt=(
                "Write `first_long(words, minimum)` returning `(word, length)` for the first word whose length is "
                "at least `minimum`, or `None` if there is none. Try the walrus operator."
            ),
            starter_code=block(r"""
                def first_long(words: list[str], minimum: int) -> tuple[str, int] | None:
                    pass
            """),
            hints=("`if (n := len(word)) >= minimum:` binds and tests in one step.",),
            solution=block(r"""
                def first_long(words: list[str], minimum: int) -> tuple[str, int] | None:
                    for word in words:
                        if (n := len(word)) >= minimum:
                            return word, n
                    return None
            """),
            tests=block(r"""
                assert first_long(["a", "abcd", "abcdef"], 4) == ("abcd", 4)
                assert first_long(["a"], 2) is None
                assert first_long([], 0) is None
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="variables-a-q1",
            question="In which order does Python look up a name?",
            choices=(
                "Global, Local, Built-in, Enclosing",
                "Local, Enclosing, Global, Built-in",
                "Built-in, Global, Enclosing, Local",
            ),
            answer=1,
            explanation="The LEGB rule: Local, Enclosing, Global, Built-in.",
        ),
        QuizQuestion(
            id="variables-a-q2",
            question="What happens at runtime with `x: int = 'hello'`?",
            choices=("TypeError", "Nothing; x is bound to 'hello'", "x becomes 0", "SyntaxError"),
            answer=1,
            explanation="Annotations are not enforced at runtime; a type checker would flag it.",
        ),
        QuizQuestion(
            id="variables-a-q3",
            question="A function reads `total` and later does `total += 1` without any declaration. What happens?",
            choices=(
                "It updates the global total",
                "UnboundLocalError when total is read",
                "It creates a new global",
                "SyntaxError at import",
            ),
            answer=1,
            explanation="The assignment makes `total` local for the whole function, so the earlier read fails.",
        ),
    ),
)

TOPIC = Topic(
    slug="variables",
    title="Variables and Types",
    summary="Bind names to values, know the basic built-in types and convert between them.",
    prerequisites=(),
    objectives=(
        "Create and re-bind variables",
        "Recognise int, float, str, bool and None",
        "Explain aliasing of mutable values",
        "Use unpacking, scopes and type hints",
    ),
    estimated_minutes=30,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
