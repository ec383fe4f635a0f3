"""Decisions: booleans, if/elif/else, and structural pattern matching."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Comparisons and booleans",
            block("""
                Comparisons produce `True` or `False`: `==`, `!=`, `<`, `<=`, `>`, `>=`.
                Combine them with `and`, `or` and `not`. Python allows chained comparisons such as
                `0 <= score <= 100`, which reads like mathematics.
            """),
        ),
        (
            "if, elif and else",
            block("""
                An `if` statement runs its indented block only when the condition is true. Add `elif` branches to
                test further conditions in order, and an optional `else` for everything left over:

                ```python
                if temperature > 25:
                    print("hot")
                elif temperature > 15:
                    print("mild")
                else:
                    print("cold")
                ```

                Only the first matching branch runs. Indentation (4 spaces) defines the block.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Choosing a branch",
            code=block(r"""
                for temperature in (30, 20, 5):
                    if temperature > 25:
                        print(temperature, "hot")
                    elif temperature > 15:
                        print(temperature, "mild")
                    else:
                        print(temperature, "cold")
            """),
            expected_output="30 hot\n20 mild\n5 cold\n",
        ),
        CodeExample(
            title="Combining conditions",
            code=block(r"""
                age = 17
                has_permission = True
                print(0 <= age <= 120)
                print(age >= 18 or has_permission)
                print(not has_permission)
            """),
            expected_output="True\nTrue\nFalse\n",
        ),
    ),
    exercises=(
        Exercise(
            id="control-flow-b-1",
            prompt="Write `sign(n)` returning `'positive'`, `'negative'` or `'zero'`.",
            starter_code=block(r"""
                def sign(n):
                    ...
            """),
            hints=("Use `if`, `elif` and `else`.",),
            solution=block(r"""
                def sign(n):
                    if n > 0:
                        return "positive"
                    elif n < 0:
                        return "negative"
                    else:
                        return "zero"
            """),
            tests=block(r"""
                assert sign(5) == "positive"
                assert sign(-2.5) == "negative"
                assert sign(0) == "zero"
            """),
        ),
        Exercise(
            id="control-flow-b-2",
            prompt="Write `grade(score)` returning 'A' for 90+, 'B' for 80-89, 'C' for 70-79 and 'F' otherwise.",
            starter_code=block(r"""
                def grade(score):
                    pass
            """),
            hints=("Test the highest band first so each `elif` only needs a lower bound.",),
            solution=block(r"""
                def grade(score):
                    if score >= 90:
                        return "A"
                    elif score >= 80:
                        return "B"
                    elif score >= 70:
                        return "C"
                    return "F"
            """),
            tests=block(r"""
                assert grade(95) == "A"
                assert grade(90) == "A"
                assert grade(85) == "B"
                assert grade(70) == "C"
                assert grade(12) == "F"
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="control-flow-b-q1",
            question="What is `3 < 5 < 4`?",
            choices=("True", "False", "An error"),
            answer=1,
            explanation="A chained comparison means `3 < 5 and 5 < 4`, and the second part is false.",
        ),
        QuizQuestion(
            id="control-flow-b-q2",
            question="With `x = 10`, which branches run in `if x > 5: ... elif x > 8: ...`?",
            choices=("Both", "Only the first", "Only the second", "Neither"),
            answer=1,
            explanation="Only the first true branch of an if/elif chain runs.",
        ),
        QuizQuestion(
            id="control-flow-b-q3",
            question="Which operator checks that two values are equal?",
            choices=("=", "==", "is", "!="),
            answer=1,
            explanation="`=` assigns, `==` compares values, `is` compares identity.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "Truthiness",
            block("""
                Any value can be used as a condition. Falsy values are `False`, `None`, `0`, `0.0`, and empty
                containers (`""`, `[]`, `{}`, `set()`); everything else is truthy. Idiomatic code writes
                `if items:` rather than `if len(items) > 0:`. Beware when `0` is a valid value:
                `if count is not None:` differs from `if count:`.
            """),
        ),
        (
            "Short-circuiting and conditional expressions",
            block("""
                `and` / `or` stop as soon as the result is known and return one of their operands, not a bool:
                `name or "anonymous"` gives a default for falsy names. A conditional expression picks a value
                inline: `label = "even" if n % 2 == 0 else "odd"`. Prefer early `return`s (guard clauses) over
                deeply nested `if`s.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Truthy and falsy values",
            code=block(r"""
                for value in (0, 1, "", "a", [], [0], None):
                    print(repr(value), "truthy" if value else "falsy")
            """),
            expected_output=("0 falsy\n1 truthy\n'' falsy\n'a' truthy\n[] falsy\n[0] truthy\nNone falsy\n"),
        ),
        CodeExample(
            title="or as a default, and short-circuiting",
            code=block(r"""
                def display(name):
                    return name or "anonymous"

                print(display(""), display("ada"))
                items = []
                print(bool(items) and items[0] > 0)
                print(0 or [] or "last")
            """),
            expected_output="anonymous ada\nFalse\nlast\n",
        ),
    ),
    exercises=(
        Exercise(
            id="control-flow-i-1",
            prompt=(
                "Write `describe(items)` returning `'empty'` for an empty list, `'single'` for one item, else `'many'`."
            ),
            starter_code=block(r"""
                def describe(items):
                    ...
            """),
            hints=("An empty list is falsy: `if not items:`.",),
            solution=block(r"""
                def describe(items):
                    if not items:
                        return "empty"
                    return "single" if len(items) == 1 else "many"
            """),
            tests=block(r"""
                assert describe([]) == "empty"
                assert describe([0]) == "single"
                assert describe([1, 2]) == "many"
            """),
        ),
        Exercise(
            id="control-flow-i-2",
            prompt=(
                "Write `discount(price, code)` returning the price after a discount: code `None` or `''` gives none, "
                "`'HALF'` halves it, any other code raises `ValueError`. Use guard clauses."
            ),
            starter_code=block(r"""
                def discount(price, code):
                    return price
            """),
            hints=("Handle the 'no code' case first with `if not code: return price`.",),
            solution=block(r"""
                def discount(price, code):
                    if not code:
                        return price
                    if code == "HALF":
                        return price / 2
                    raise ValueError(f"unknown code {code!r}")
            """),
            tests=block(r"""
                assert discount(10, None) == 10
                assert discount(10, "") == 10
                assert discount(10, "HALF") == 5
                try:
                    discount(10, "FREE")
                except ValueError:
                    pass
                else:
                    raise AssertionError("expected ValueError")
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="control-flow-i-q1",
            question="What is `[] or 'default'`?",
            choices=("True", "[]", "'default'", "False"),
            answer=2,
            explanation="`or` returns the first truthy operand, or the last one.",
        ),
        QuizQuestion(
            id="control-flow-i-q2",
            question="Which value is truthy?",
            choices=("0.0", "''", "[None]", "set()"),
            answer=2,
            explanation="A list containing one element is non-empty, so truthy, even if the element is None.",
        ),
        QuizQuestion(
            id="control-flow-i-q3",
            question="Why can `if count:` be a bug when `count` may be None or an int?",
            choices=(
                "It is a syntax error",
                "It treats 0 like None",
                "It always evaluates to True",
            ),
            answer=1,
            explanation="0 is falsy; use `if count is not None:` when zero is a legitimate value.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Structural pattern matching",
            block("""
                `match` (Python 3.10+) compares a subject against patterns and can destructure it:

                ```python
                match command.split():
                    case ["go", direction]:
                        ...
                    case ["quit" | "exit"]:
                        ...
                    case _:
                        ...
                ```

                Patterns include literals, captures (bare names bind), sequences, mappings (`{"type": "click"}`),
                class patterns (`Point(x=0)`), alternatives with `|`, and guards with `if`.
            """),
        ),
        (
            "Pitfalls of match",
            block("""
                A bare name in a pattern always *captures*; it never compares against a variable. To compare
                against a constant use a dotted name (`case Color.RED:`) or a literal. Mapping patterns match if
                the listed keys are present; extra keys are ignored. Cases are tried top to bottom, so put
                specific patterns before general ones and end with `case _:` when you need a fallback.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Parsing commands with match",
            code=block(r"""
                def handle(command: str) -> str:
                    match command.split():
                        case ["go", ("north" | "south") as direction]:
                            return f"going {direction}"
                        case ["take", *items] if items:
                            return "taking " + ", ".join(items)
                        case ["quit"]:
                            return "bye"
                        case _:
                            return "unknown"

                for cmd in ("go north", "take lamp key", "take", "quit", "dance"):
                    print(handle(cmd))
            """),
            expected_output="going north\ntaking lamp, key\nunknown\nbye\nunknown\n",
        ),
        CodeExample(
            title="Mapping and class patterns",
            code=block(r"""
                from dataclasses import dataclass

                @dataclass
                class Point:
                    x: int
                    y: int

                def describe(event):
                    match event:
                        case {"type": "click", "pos": Point(x=0, y=0)}:
                            return "click at origin"
                        case {"type": "click", "pos": Point(x=x, y=y)}:
                            return f"click at {x},{y}"
                        case {"type": "key", "key": str(key)}:
                            return f"key {key}"
                    return "other"

                print(describe({"type": "click", "pos": Point(0, 0)}))
                print(describe({"type": "click", "pos": Point(3, 4), "extra": 1}))
                print(describe({"type": "key", "key": "q"}))
                print(describe({"type": "key", "key": 5}))
            """),
            expected_output="click at origin\nclick at 3,4\nkey q\nother\n",
        ),
    ),
    exercises=(
        Exercise(
            id="control-flow-a-1",
            prompt=(
                "Write `area(shape)` using `match` on tuples: `('circle', r)` -> `3.14159 * r * r`, "
                "`('rect', w, h)` -> `w * h`, `('square', s)` -> `s * s`; anything else raises `ValueError`."
            ),
            starter_code=block(r"""
                def area(shape):
                    match shape:
                        case _:
                            ...
            """),
            hints=("Sequence patterns such as `case ('rect', w, h):` bind the elements.",),
            solution=block(r"""
                def area(shape):
                    match shape:
                        case ("circle", r):
                            return 3.14159 * r * r
                        case ("rect", w, h):
                            return w * h
                        case ("square", s):
                            return s * s
                        case _:
                            raise ValueError(f"unknown shape {shape!r}")
            """),
            tests=block(r"""
                assert area(("rect", 2, 3)) == 6
                assert area(("square", 4)) == 16
                assert abs(area(("circle", 1)) - 3.14159) < 1e-9
                try:
                    area(("triangle", 1, 2, 3))
                except ValueError:
                    pass
                else:
                    raise AssertionError("expected ValueError")
            """),
        ),
        Exercise(
            id="control-flow-a-2",
            prompt=(
                "Write `route(request)` for dict requests: `{'method': 'GET', 'path': '/users/<id>'}` returns "
                "`('show', id)`; `{'method': 'POST', 'path': '/users'}` returns `('create', None)`; "
                "else `('404', None)`."
            ),
            starter_code=block(r"""
                def route(request: dict) -> tuple[str, str | None]:
                    raise NotImplementedError
            """),
            hints=(
                "Match on `(request.get('method'), request.get('path', '').strip('/').split('/'))`.",
                "A sequence pattern like `['users', user_id]` captures the id.",
            ),
            solution=block(r"""
                def route(request: dict) -> tuple[str, str | None]:
                    parts = request.get("path", "").strip("/").split("/")
                    match request.get("method"), parts:
                        case "GET", ["users", user_id]:
                            return "show", user_id
                        case "POST", ["users"]:
                            return "create", None
                        case _:
                            return "404", None
            """),
            tests=block(r"""
                assert route({"method": "GET", "path": "/users/42"}) == ("show", "42")
                assert route({"method": "POST", "path": "/users"}) == ("create", None)
                assert route({"method": "DELETE", "path": "/users/42"}) == ("404", None)
                assert route({}) == ("404", None)
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="control-flow-a-q1",
            question="With `RED = 'red'`, what does `case RED:` do inside a match?",
            choices=(
                "Compares the subject with 'red'",
                "Captures the subject into a new name RED and always matches",
                "Raises NameError",
            ),
            answer=1,
            explanation="Bare names are capture patterns (Python even forbids them before other cases); "
            "use a dotted name or literal to compare.",
        ),
        QuizQuestion(
            id="control-flow-a-q2",
            question="Does `case {'type': 'click'}:` match `{'type': 'click', 'x': 1}`?",
            choices=("Yes, extra keys are ignored", "No, keys must match exactly", "Only with **rest"),
            answer=0,
            explanation="Mapping patterns only require the listed keys.",
        ),
        QuizQuestion(
            id="control-flow-a-q3",
            question="What does `case [x, *rest] if x > 0:` add compared to `case [x, *rest]:`?",
            choices=(
                "A guard: the case only matches when the condition is true",
                "A type check on x",
                "Nothing; it is a syntax error",
            ),
            answer=0,
            explanation="The `if` guard is evaluated after a successful structural match.",
        ),
    ),
)

TOPIC = Topic(
    slug="control-flow",
    title="Control Flow",
    summary="Make decisions with booleans, if/elif/else, truthiness and structural pattern matching.",
    prerequisites=("variables",),
    objectives=(
        "Write comparisons and boolean expressions",
        "Branch with if/elif/else",
        "Use truthiness and short-circuiting idiomatically",
        "Destructure data with match statements",
    ),
    estimated_minutes=40,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
