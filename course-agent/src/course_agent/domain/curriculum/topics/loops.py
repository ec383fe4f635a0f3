"""Repetition: for, while, range, enumerate, zip, break/continue/else."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "for loops",
            block("""
                A `for` loop runs its block once for each item of an iterable (a list, string, range...):

                ```python
                for fruit in ["apple", "pear"]:
                    print(fruit)
                ```

                `range(stop)`, `range(start, stop)` and `range(start, stop, step)` produce numbers;
                the stop value is excluded, so `range(3)` is 0, 1, 2.
            """),
        ),
        (
            "while loops",
            block("""
                A `while` loop repeats as long as its condition is true. Something inside the loop must
                eventually make the condition false, or it runs forever:

                ```python
                countdown = 3
                while countdown > 0:
                    print(countdown)
                    countdown -= 1
                ```

                Use `for` when you know what you iterate over, `while` when you loop until something happens.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Summing with a for loop",
            code=block(r"""
                total = 0
                for n in range(1, 6):
                    total += n
                print("sum of 1..5 =", total)
                for letter in "hey":
                    print(letter.upper(), end="")
                print()
            """),
            expected_output="sum of 1..5 = 15\nHEY\n",
        ),
        CodeExample(
            title="Counting down with while",
            code=block(r"""
                countdown = 3
                while countdown > 0:
                    print(countdown)
                    countdown -= 1
                print("liftoff")
            """),
            expected_output="3\n2\n1\nliftoff\n",
        ),
    ),
    exercises=(
        Exercise(
            id="loops-b-1",
            prompt="Write `sum_to(n)` returning 1 + 2 + ... + n using a loop (0 for n < 1).",
            starter_code=block(r"""
                def sum_to(n):
                    total = 0
                    # your loop here
                    return total
            """),
            hints=("`range(1, n + 1)` includes n.",),
            solution=block(r"""
                def sum_to(n):
                    total = 0
                    for i in range(1, n + 1):
                        total += i
                    return total
            """),
            tests=block(r"""
                assert sum_to(5) == 15
                assert sum_to(1) == 1
                assert sum_to(0) == 0
                assert sum_to(100) == 5050
            """),
        ),
        Exercise(
            id="loops-b-2",
            prompt="Write `count_vowels(text)` returning how many of the letters a, e, i, o, u (any case) it has.",
            starter_code=block(r"""
                def count_vowels(text):
                    ...
            """),
            hints=("Loop over the characters.", "`ch.lower() in 'aeiou'` tests membership."),
            solution=block(r"""
                def count_vowels(text):
                    count = 0
                    for ch in text:
                        if ch.lower() in "aeiou":
                            count += 1
                    return count
            """),
            tests=block(r"""
                assert count_vowels("Python") == 1
                assert count_vowels("AEIOU aeiou") == 10
                assert count_vowels("") == 0
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="loops-b-q1",
            question="Which numbers does `range(2, 5)` produce?",
            choices=("2, 3, 4, 5", "2, 3, 4", "3, 4, 5", "2, 5"),
            answer=1,
            explanation="The stop value is excluded.",
        ),
        QuizQuestion(
            id="loops-b-q2",
            question="How many times does `while x < 3: x += 1` run when x starts at 0?",
            choices=("2", "3", "4", "Forever"),
            answer=1,
            explanation="It runs for x = 0, 1, 2 and stops when x becomes 3.",
        ),
        QuizQuestion(
            id="loops-b-q3",
            question="What does `for ch in 'abc':` iterate over?",
            choices=("The whole string once", "Each character", "The indices 0, 1, 2"),
            answer=1,
            explanation="Iterating a string yields its characters one by one.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "enumerate and zip",
            block("""
                Avoid `for i in range(len(items))`. When you need an index, use `enumerate(items, start=1)`;
                to walk two sequences in step, use `zip(a, b)`. `zip` stops at the shortest input; in 3.10+
                pass `strict=True` to get a `ValueError` if the lengths differ.
            """),
        ),
        (
            "break, continue and loop else",
            block("""
                `break` leaves the loop immediately; `continue` skips to the next iteration. A loop may have an
                `else` block which runs only when the loop finished *without* `break` - handy for searches.
                Never modify a list while iterating over it; iterate over a copy (`items[:]`) or build a new list.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="enumerate and zip",
            code=block(r"""
                names = ["ada", "grace", "linus"]
                scores = [90, 85, 70]
                for rank, (name, score) in enumerate(zip(names, scores, strict=True), start=1):
                    print(f"{rank}. {name}: {score}")
            """),
            expected_output="1. ada: 90\n2. grace: 85\n3. linus: 70\n",
        ),
        CodeExample(
            title="Searching with for/else",
            code=block(r"""
                def find_first_negative(numbers):
                    for n in numbers:
                        if n < 0:
                            print("found", n)
                            break
                    else:
                        print("none found")

                find_first_negative([3, -1, -5])
                find_first_negative([1, 2])
                evens = []
                for n in range(6):
                    if n % 2:
                        continue
                    evens.append(n)
                print(evens)
            """),
            expected_output="found -1\nnone found\n[0, 2, 4]\n",
        ),
    ),
    exercises=(
        Exercise(
            id="loops-i-1",
            prompt=(
                "Write `is_prime(n)` using a loop with `break`/`else` or early return; numbers below 2 are not prime."
            ),
            starter_code=block(r"""
                def is_prime(n: int) -> bool:
                    ...
            """),
            hints=("Only divisors up to the square root need checking: `while d * d <= n`.",),
            solution=block(r"""
                def is_prime(n: int) -> bool:
                    if n < 2:
                        return False
                    d = 2
                    while d * d <= n:
                        if n % d == 0:
                            return False
                        d += 1
                    return True
            """),
            tests=block(r"""
                assert [n for n in range(20) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19]
                assert not is_prime(-7)
                assert is_prime(7919)
            """),
        ),
        Exercise(
            id="loops-i-2",
            prompt=(
                "Write `pairwise_diffs(values)` returning the list of differences between consecutive values, "
                "e.g. `[1, 4, 9]` -> `[3, 5]`. Use `zip`."
            ),
            starter_code=block(r"""
                def pairwise_diffs(values):
                    return []
            """),
            hints=("`zip(values, values[1:])` pairs each item with the next.",),
            solution=block(r"""
                def pairwise_diffs(values):
                    return [b - a for a, b in zip(values, values[1:])]
            """),
            tests=block(r"""
                assert pairwise_diffs([1, 4, 9]) == [3, 5]
                assert pairwise_diffs([5]) == []
                assert pairwise_diffs([3, 1]) == [-2]
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="loops-i-q1",
            question="When does the `else` block of a `for` loop run?",
            choices=(
                "When the loop body raised",
                "When the loop ended without `break`",
                "Only when the iterable was empty",
                "Never",
            ),
            answer=1,
            explanation="`else` runs after normal completion, including an empty iterable, but not after `break`.",
        ),
        QuizQuestion(
            id="loops-i-q2",
            question="What is `list(zip([1, 2, 3], 'ab'))`?",
            choices=("[(1, 'a'), (2, 'b')]", "[(1, 'a'), (2, 'b'), (3, None)]", "A ValueError"),
            answer=0,
            explanation="Without `strict=True`, zip stops at the shortest iterable.",
        ),
        QuizQuestion(
            id="loops-i-q3",
            question="What is the idiomatic way to get both index and item?",
            choices=("for i in range(len(xs)):", "for i, x in enumerate(xs):", "for x in xs: i = xs.index(x)"),
            answer=1,
            explanation="`enumerate` is clearer and works with any iterable; `index` is also wrong for duplicates.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "itertools building blocks",
            block("""
                `itertools` provides fast, lazy loop building blocks: `chain` (concatenate iterables),
                `islice` (slice any iterator), `groupby` (group *consecutive* equal keys - sort first!),
                `product` (nested loops), `accumulate` (running totals) and, since 3.10, `pairwise`.
                They let you replace index juggling with a pipeline that reads like the problem statement.
            """),
        ),
        (
            "Loop performance and clarity",
            block("""
                Loops in Python are slower than in compiled languages, so push work into built-ins: `sum`,
                `min`/`max` with `key=`, `any`/`all`, `sorted`. Hoist invariant work out of the loop, and avoid
                repeated `list.insert(0, x)` or `x in big_list` inside loops (use `collections.deque` or a `set`).
                Nested loops with an early exit are often clearer as a helper function with `return`.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="groupby, accumulate and pairwise",
            code=block(r"""
                from itertools import accumulate, groupby, pairwise

                words = sorted(["apple", "avocado", "banana", "blueberry", "cherry"])
                for letter, group in groupby(words, key=lambda w: w[0]):
                    print(letter, list(group))
                print(list(accumulate([1, 2, 3, 4])))
                print([b - a for a, b in pairwise([1, 4, 9, 16])])
            """),
            expected_output=(
                "a ['apple', 'avocado']\nb ['banana', 'blueberry']\nc ['cherry']\n[1, 3, 6, 10]\n[3, 5, 7]\n"
            ),
        ),
        CodeExample(
            title="any/all and product instead of nested loops",
            code=block(r"""
                from itertools import islice, product

                grid = [[1, 2], [3, 4]]
                print(any(v > 3 for row in grid for v in row), all(v > 0 for row in grid for v in row))
                print([f"{r}{c}" for r, c in product("ab", "12")])
                print(list(islice(product(range(3), repeat=2), 4)))
            """),
            expected_output="True True\n['a1', 'a2', 'b1', 'b2']\n[(0, 0), (0, 1), (0, 2), (1, 0)]\n",
        ),
    ),
    exercises=(
        Exercise(
            id="loops-a-1",
            prompt=(
                "Write `run_lengths(text)` returning a run-length encoding like `'aaabcc'` -> `[('a', 3), ('b', "
                "1), ('c', 2)]`."
            ),
            starter_code=block(r"""
                from itertools import groupby

                def run_lengths(text: str) -> list[tuple[str, int]]:
                    ...
            """),
            hints=("`groupby` groups consecutive equal characters.", "`sum(1 for _ in group)` counts a group."),
            solution=block(r"""
                from itertools import groupby

                def run_lengths(text: str) -> list[tuple[str, int]]:
                    return [(ch, sum(1 for _ in group)) for ch, group in groupby(text)]
            """),
            tests=block(r"""
                assert run_lengths("aaabcc") == [("a", 3), ("b", 1), ("c", 2)]
                assert run_lengths("abab") == [("a", 1), ("b", 1), ("a", 1), ("b", 1)]
                assert run_lengths("") == []
            """),
        ),
        Exercise(
            id="loops-a-2",
            prompt=(
                "Write `first_pair_with_sum(numbers, target)` returning the first pair `(a, b)` (in order of the "
                "second element) with `a` before `b` and `a + b == target`, or `None`, in O(n) using a set."
            ),
            starter_code=block(r"""
                def first_pair_with_sum(numbers: list[int], target: int) -> tuple[int, int] | None:
                    pass
            """),
            hints=("Remember the values seen so far in a set.", "For each `b`, check whether `target - b` was seen."),
            solution=block(r"""
                def first_pair_with_sum(numbers: list[int], target: int) -> tuple[int, int] | None:
                    seen: set[int] = set()
                    for b in numbers:
                        if target - b in seen:
                            return target - b, b
                        seen.add(b)
                    return None
            """),
            tests=block(r"""
                assert first_pair_with_sum([2, 7, 11, 15], 9) == (2, 7)
                assert first_pair_with_sum([3, 3], 6) == (3, 3)
                assert first_pair_with_sum([1, 2], 10) is None
                assert first_pair_with_sum(list(range(200_000)), 399_997) == (199_998, 199_999)
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="loops-a-q1",
            question="Why sort before `itertools.groupby`?",
            choices=(
                "groupby only groups consecutive equal keys",
                "groupby raises on unsorted input",
                "Sorting makes groupby lazy",
            ),
            answer=0,
            explanation="Unsorted input yields the same key several times in separate groups.",
        ),
        QuizQuestion(
            id="loops-a-q2",
            question="What does `any(x > 10 for x in data)` do once it finds 11?",
            choices=("Keeps checking the rest", "Stops and returns True", "Returns 11"),
            answer=1,
            explanation="`any` short-circuits on the first truthy value.",
        ),
        QuizQuestion(
            id="loops-a-q3",
            question="Inside a hot loop, which membership test is O(1) on average?",
            choices=("x in a_list", "x in a_tuple", "x in a_set", "x in a_string"),
            answer=2,
            explanation="Sets are hash tables; sequences are scanned linearly.",
        ),
    ),
)

TOPIC = Topic(
    slug="loops",
    title="Loops",
    summary="Repeat work with for and while, and write idiomatic loops with enumerate, zip and itertools.",
    prerequisites=("control-flow",),
    objectives=(
        "Iterate with for and range",
        "Loop until a condition with while",
        "Use enumerate, zip, break, continue and loop-else",
        "Replace manual loops with itertools and built-ins",
    ),
    estimated_minutes=45,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
