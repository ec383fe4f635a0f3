"""List, dict and set comprehensions and generator expressions."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "List comprehensions",
            block("""
                A list comprehension builds a list from an iterable in one expression:

                ```python
                squares = [n * n for n in range(5)]   # [0, 1, 4, 9, 16]
                ```

                Read it as "n times n, for each n in range(5)". It replaces the pattern of creating an empty list
                and appending inside a `for` loop.
            """),
        ),
        (
            "Filtering",
            block("""
                Add an `if` at the end to keep only some items: `[w for w in words if len(w) > 3]`.
                The expression at the front can transform each kept item: `[w.upper() for w in words if w]`.
                Keep comprehensions short; if it needs more than one line of logic, use a loop.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Loop versus comprehension",
            code=block(r"""
                squares = []
                for n in range(5):
                    squares.append(n * n)
                print(squares)
                print([n * n for n in range(5)])
            """),
            expected_output="[0, 1, 4, 9, 16]\n[0, 1, 4, 9, 16]\n",
        ),
        CodeExample(
            title="Transform and filter",
            code=block(r"""
                words = ["hi", "python", "", "code", "ok"]
                print([w.upper() for w in words if len(w) > 2])
                print([len(w) for w in words])
            """),
            expected_output="['PYTHON', 'CODE']\n[2, 6, 0, 4, 2]\n",
        ),
    ),
    exercises=(
        Exercise(
            id="comprehensions-b-1",
            prompt="Write `evens(numbers)` returning only the even numbers, using a list comprehension.",
            starter_code=block(r"""
                def evens(numbers):
                    ...
            """),
            hints=("`n % 2 == 0` tests evenness.",),
            solution=block(r"""
                def evens(numbers):
                    return [n for n in numbers if n % 2 == 0]
            """),
            tests=block(r"""
                assert evens([1, 2, 3, 4]) == [2, 4]
                assert evens([]) == []
                assert evens([-2, 0, 7]) == [-2, 0]
            """),
        ),
        Exercise(
            id="comprehensions-b-2",
            prompt="Write `lengths(words)` returning a list with the length of each word.",
            starter_code=block(r"""
                def lengths(words):
                    return []
            """),
            hints=("`[len(w) for w in words]`",),
            solution=block(r"""
                def lengths(words):
                    return [len(w) for w in words]
            """),
            tests=block(r"""
                assert lengths(["a", "abc", ""]) == [1, 3, 0]
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="comprehensions-b-q1",
            question="What is `[x * 2 for x in [1, 2, 3]]`?",
            choices=("[1, 2, 3, 1, 2, 3]", "[2, 4, 6]", "6"),
            answer=1,
            explanation="Each element is doubled.",
        ),
        QuizQuestion(
            id="comprehensions-b-q2",
            question="Where does a filtering `if` go in a list comprehension?",
            choices=("Before the expression", "After the `for ... in ...` clause", "Inside brackets of its own"),
            answer=1,
            explanation="`[expr for item in items if condition]`.",
        ),
        QuizQuestion(
            id="comprehensions-b-q3",
            question="What is `[c for c in 'hello' if c != 'l']`?",
            choices=("['h', 'e', 'o']", "'heo'", "['l', 'l']"),
            answer=0,
            explanation="A list comprehension always produces a list, here without the two 'l's.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "Dict and set comprehensions",
            block("""
                Braces build dicts and sets: `{name: len(name) for name in names}` and
                `{word.lower() for word in words}`. Inverting a dict is a one-liner:
                `{v: k for k, v in d.items()}` (later duplicates win).
            """),
        ),
        (
            "Conditional expressions and nesting",
            block("""
                A conditional *expression* at the front transforms every item:
                `["even" if n % 2 == 0 else "odd" for n in nums]` - different from a trailing filter `if`.
                Several `for` clauses nest left to right, like nested loops:
                `[(x, y) for x in range(2) for y in range(2)]`. Flattening: `[x for row in grid for x in row]`.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Dict and set comprehensions",
            code=block(r"""
                names = ["Ada", "grace", "ada"]
                print({name: len(name) for name in names})
                print(sorted({name.lower() for name in names}))
                codes = {"a": 1, "b": 2}
                print({v: k for k, v in codes.items()})
            """),
            expected_output="{'Ada': 3, 'grace': 5, 'ada': 3}\n['ada', 'grace']\n{1: 'a', 2: 'b'}\n",
        ),
        CodeExample(
            title="Transform versus filter, and flattening",
            code=block(r"""
                nums = [1, 2, 3, 4]
                print(["even" if n % 2 == 0 else "odd" for n in nums])
                print([n for n in nums if n % 2 == 0])
                grid = [[1, 2], [3], [4, 5]]
                print([x for row in grid for x in row])
            """),
            expected_output="['odd', 'even', 'odd', 'even']\n[2, 4]\n[1, 2, 3, 4, 5]\n",
        ),
    ),
    exercises=(
        Exercise(
            id="comprehensions-i-1",
            prompt="Write `invert(d)` returning a dict mapping each value of `d` to its key.",
            starter_code=block(r"""
                def invert(d):
                    return dict(d)
            """),
            hints=("Iterate over `d.items()` in a dict comprehension.",),
            solution=block(r"""
                def invert(d):
                    return {value: key for key, value in d.items()}
            """),
            tests=block(r"""
                assert invert({"a": 1, "b": 2}) == {1: "a", 2: "b"}
                assert invert({}) == {}
            """),
        ),
        Exercise(
            id="comprehensions-i-2",
            prompt="Write `flatten(rows)` returning a single list with all items of a list of lists, in order.",
            starter_code=block(r"""
                def flatten(rows):
                    return rows
            """),
            hints=("Two `for` clauses: outer first.",),
            solution=block(r"""
                def flatten(rows):
                    return [item for row in rows for item in row]
            """),
            tests=block(r"""
                assert flatten([[1, 2], [], [3]]) == [1, 2, 3]
                assert flatten([]) == []
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="comprehensions-i-q1",
            question="What does `{x % 3 for x in range(10)}` produce?",
            choices=("{0, 1, 2}", "[0, 1, 2, 0, ...]", "A dict"),
            answer=0,
            explanation="Braces without a colon build a set, so duplicates disappear.",
        ),
        QuizQuestion(
            id="comprehensions-i-q2",
            question="In `[(x, y) for x in 'ab' for y in '12']`, which loop is the outer one?",
            choices=("for x in 'ab'", "for y in '12'", "They run in parallel like zip"),
            answer=0,
            explanation="Clauses nest left to right, exactly like written-out loops.",
        ),
        QuizQuestion(
            id="comprehensions-i-q3",
            question="Which is a syntax error?",
            choices=(
                "[n if n > 0 else 0 for n in xs]",
                "[n for n in xs if n > 0]",
                "[n for n in xs if n > 0 else 0]",
            ),
            answer=2,
            explanation="A trailing filter `if` cannot have an `else`; put a conditional expression at the front.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Generator expressions",
            block("""
                Parentheses make a *generator expression*: `(n * n for n in data)` computes items lazily, one at a
                time, using constant memory. Pass it straight to a consuming function: `sum(n * n for n in data)`.
                A generator can be consumed only once. Prefer it for large or infinite inputs and for
                `any`/`all`/`min`/`max`, which can stop early.
            """),
        ),
        (
            "Scope and readability",
            block("""
                Comprehensions have their own scope: the loop variable does not leak. The *first* iterable is
                evaluated immediately in the enclosing scope; everything else is evaluated lazily inside. Don't use
                comprehensions for side effects (`[print(x) for x in xs]`). The walrus operator can reuse a computed
                value: `[y for x in data if (y := f(x)) is not None]`.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Lazy generator expressions",
            code=block(r"""
                import sys

                squares_list = [n * n for n in range(10_000)]
                squares_gen = (n * n for n in range(10_000))
                print(sys.getsizeof(squares_gen) < sys.getsizeof(squares_list))
                print(sum(squares_gen), sum(squares_gen))
                print(next(n for n in range(10**12) if n % 7 == 6))
            """),
            expected_output="True\n333283335000 0\n6\n",
        ),
        CodeExample(
            title="Walrus inside a comprehension",
            code=block(r"""
                def parse(text):
                    return int(text) if text.strip().lstrip("-").isdigit() else None

                raw = ["1", "x", " 2", "-3", ""]
                print([value for item in raw if (value := parse(item)) is not None])
                x = "outer"
                print([x for x in range(3)], x)
            """),
            expected_output="[1, 2, -3]\n[0, 1, 2] outer\n",
        ),
    ),
    exercises=(
        Exercise(
            id="comprehensions-a-1",
            prompt=(
                "Write `transpose(matrix)` returning the transposed matrix as a list of lists using a nested "
                "comprehension (no zip). Assume a non-empty rectangular matrix."
            ),
            starter_code=block(r"""
                def transpose(matrix):
                    return matrix
            """),
            hints=("The outer comprehension iterates over column indices.",),
            solution=block(r"""
                def transpose(matrix):
                    return [[row[c] for row in matrix] for c in range(len(matrix[0]))]
            """),
            tests=block(r"""
                assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]
                assert transpose([[1]]) == [[1]]
            """),
        ),
        Exercise(
            id="comprehensions-a-2",
            prompt=(
                "Write `total_size(lines)` returning the sum of lengths of non-blank stripped lines, using a "
                "generator expression so that it works on any iterable, including a one-shot iterator."
            ),
            starter_code=block(r"""
                def total_size(lines):
                    raise NotImplementedError
            """),
            hints=("`sum(len(s) for s in ...)` needs no intermediate list.",),
            solution=block(r"""
                def total_size(lines):
                    return sum(len(stripped) for line in lines if (stripped := line.strip()))
            """),
            tests=block(r"""
                assert total_size(["ab ", "  ", "c"]) == 3
                assert total_size(iter(["xyz\n", "\n"])) == 3
                assert total_size(line for line in []) == 0
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="comprehensions-a-q1",
            question="What does summing the same generator expression twice give the second time?",
            choices=("The same total", "0", "A TypeError"),
            answer=1,
            explanation="A generator is exhausted after one pass.",
        ),
        QuizQuestion(
            id="comprehensions-a-q2",
            question="After `[i for i in range(3)]` at module level, what is `i` if it was undefined before?",
            choices=("2", "It is still undefined (NameError)", "0"),
            answer=1,
            explanation="Comprehension variables live in their own scope in Python 3.",
        ),
        QuizQuestion(
            id="comprehensions-a-q3",
            question="Why is `sum(x * x for x in data)` preferred over `sum([x * x for x in data])` for big data?",
            choices=(
                "It avoids building a full intermediate list",
                "It gives a more precise result",
                "It runs in parallel",
            ),
            answer=0,
            explanation="The generator feeds values one by one, keeping memory constant.",
        ),
    ),
)

TOPIC = Topic(
    slug="comprehensions",
    title="Comprehensions",
    summary="Build lists, dicts and sets declaratively, and process data lazily with generator expressions.",
    prerequisites=("collections", "loops"),
    objectives=(
        "Write list comprehensions with filters",
        "Build dicts and sets with comprehensions",
        "Know when to use generator expressions",
        "Keep comprehensions readable",
    ),
    estimated_minutes=35,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
