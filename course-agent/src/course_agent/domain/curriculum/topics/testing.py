"""Testing: assert-based checks, unittest, fixtures, mocks and testable design."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Why test, and plain asserts",
            block("""
                A test is code that runs your code and checks the result, so you find mistakes before users do and
                can change code without fear. The simplest check is `assert expression, "message"`: it does nothing
                when the expression is true and raises `AssertionError` otherwise. Test normal cases, edge cases
                (empty input, zero, negatives) and error cases.
            """),
        ),
        (
            "Arrange, act, assert",
            block("""
                Structure every test in three steps: **arrange** the inputs, **act** by calling the code, and
                **assert** on the outcome. Give tests descriptive names such as
                `test_average_of_empty_list_is_zero` - the name is the specification. Tools like `pytest` discover
                functions whose names start with `test_` and run them for you.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Test functions with plain asserts",
            code=block(r"""
                def average(numbers):
                    return sum(numbers) / len(numbers) if numbers else 0.0

                def test_average_of_several_numbers():
                    assert average([1, 2, 3]) == 2

                def test_average_of_empty_list_is_zero():
                    assert average([]) == 0.0

                for test in (test_average_of_several_numbers, test_average_of_empty_list_is_zero):
                    test()
                    print("passed", test.__name__)
            """),
            expected_output="passed test_average_of_several_numbers\npassed test_average_of_empty_list_is_zero\n",
        ),
        CodeExample(
            title="What a failing assert looks like",
            code=block(r"""
                def add(a, b):
                    return a - b  # bug!

                try:
                    assert add(2, 2) == 4, f"add(2, 2) returned {add(2, 2)}"
                except AssertionError as exc:
                    print("FAILED:", exc)
            """),
            expected_output="FAILED: add(2, 2) returned 0\n",
        ),
    ),
    exercises=(
        Exercise(
            id="testing-b-1",
            prompt=(
                "Write `is_leap_year(year)` (divisible by 4, except centuries unless divisible by 400). The provided "
                "asserts are your specification."
            ),
            starter_code=block(r"""
                def is_leap_year(year):
                    return year % 4 == 0
            """),
            hints=("Check the 400 rule first, then the 100 rule, then the 4 rule.",),
            solution=block(r"""
                def is_leap_year(year):
                    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            """),
            tests=block(r"""
                assert is_leap_year(2024)
                assert not is_leap_year(2023)
                assert not is_leap_year(1900)
                assert is_leap_year(2000)
            """),
        ),
        Exercise(
            id="testing-b-2",
            prompt=(
                "Write `check_clamp()` containing at least four asserts that test a function "
                "`clamp(value, low, high)`; "
                "also implement `clamp`. `check_clamp()` must pass for a correct clamp and fail for a clamp that "
                "ignores `high`."
            ),
            starter_code=block(r"""
                def clamp(value, low, high):
                    return max(value, low)

                def check_clamp():
                    pass
            """),
            hints=("Include a case where value is above high.", "`min(max(value, low), high)`."),
            solution=block(r"""
                def clamp(value, low, high):
                    return min(max(value, low), high)

                def check_clamp():
                    assert clamp(5, 0, 10) == 5
                    assert clamp(-3, 0, 10) == 0
                    assert clamp(99, 0, 10) == 10
                    assert clamp(0, 0, 0) == 0
            """),
            tests=block(r"""
                check_clamp()
                assert clamp(11, 0, 10) == 10
                correct = clamp

                def clamp(value, low, high):
                    return max(value, low)

                try:
                    check_clamp()
                except AssertionError:
                    pass
                else:
                    raise AssertionError("check_clamp should catch a clamp that ignores high")
                clamp = correct
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="testing-b-q1",
            question="What does `assert 1 + 1 == 2` do?",
            choices=("Prints True", "Nothing (it passes silently)", "Returns True"),
            answer=1,
            explanation="A passing assert has no effect; a failing one raises AssertionError.",
        ),
        QuizQuestion(
            id="testing-b-q2",
            question="Which is an edge case for a function that averages a list?",
            choices=("[1, 2, 3]", "[]", "[10, 20]"),
            answer=1,
            explanation="The empty list would divide by zero if not handled.",
        ),
        QuizQuestion(
            id="testing-b-q3",
            question="What are the three steps of a well-structured test?",
            choices=("Arrange, act, assert", "Write, run, delete", "Import, print, exit"),
            answer=0,
            explanation="Set up inputs, run the code, check the outcome.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "unittest",
            block("""
                The standard library's `unittest` groups tests into `TestCase` classes. Methods starting with `test`
                are run; `setUp` runs before each one. Use the specific assertions - `assertEqual`, `assertIn`,
                `assertAlmostEqual` for floats, and `with self.assertRaises(ValueError):` for errors - because their
                failure messages show both values. `python -m unittest` discovers and runs tests.
            """),
        ),
        (
            "Good tests",
            block("""
                Each test should check one behaviour, be independent of the others (no shared mutable state), and be
                deterministic - no real clock, randomness, or network. Never compare floats with `==`; use
                `math.isclose` or `assertAlmostEqual`. `subTest` (or pytest's `parametrize`) runs the same check over
                many inputs while reporting each failure separately.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="A unittest TestCase run programmatically",
            code=block(r"""
                import io
                import unittest

                class Stack:
                    def __init__(self):
                        self._items = []

                    def push(self, item):
                        self._items.append(item)

                    def pop(self):
                        if not self._items:
                            raise IndexError("pop from empty stack")
                        return self._items.pop()

                class StackTests(unittest.TestCase):
                    def setUp(self):
                        self.stack = Stack()

                    def test_pop_returns_last_pushed(self):
                        self.stack.push(1)
                        self.stack.push(2)
                        self.assertEqual(self.stack.pop(), 2)

                    def test_pop_on_empty_raises(self):
                        with self.assertRaises(IndexError):
                            self.stack.pop()

                suite = unittest.defaultTestLoader.loadTestsFromTestCase(StackTests)
                result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
                print(result.testsRun, "tests, ok =", result.wasSuccessful())
            """),
            expected_output="2 tests, ok = True\n",
        ),
        CodeExample(
            title="subTest and floating point",
            code=block(r"""
                import io
                import math
                import unittest

                def celsius(f):
                    return (f - 32) * 5 / 9

                class CelsiusTests(unittest.TestCase):
                    def test_known_values(self):
                        for f, c in [(32, 0), (212, 100), (98.6, 37), (0, 0)]:
                            with self.subTest(f=f):
                                self.assertTrue(math.isclose(celsius(f), c, abs_tol=1e-9))

                suite = unittest.defaultTestLoader.loadTestsFromTestCase(CelsiusTests)
                result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
                print(len(result.failures), "failing subtest")
                print(result.failures[0][1].splitlines()[-1])
                print(0.1 + 0.2 == 0.3, math.isclose(0.1 + 0.2, 0.3))
            """),
            expected_output="1 failing subtest\nAssertionError: False is not true\nFalse True\n",
        ),
    ),
    exercises=(
        Exercise(
            id="testing-i-1",
            prompt=(
                "Write `class SlugifyTests(unittest.TestCase)` with at least three test methods for the provided "
                "`slugify(text)` (lowercase, words joined by '-', punctuation removed). Then write `run_tests()` "
                "returning the `unittest.TestResult` of running the class."
            ),
            starter_code=block(r"""
                import re
                import unittest

                def slugify(text):
                    words = re.findall(r"[a-z0-9]+", text.lower())
                    return "-".join(words)

                class SlugifyTests(unittest.TestCase):
                    pass

                def run_tests():
                    ...
            """),
            hints=(
                "`unittest.defaultTestLoader.loadTestsFromTestCase(SlugifyTests)` builds a suite.",
                "`suite.run(unittest.TestResult())` returns the result.",
            ),
            solution=block(r"""
                import re
                import unittest

                def slugify(text):
                    words = re.findall(r"[a-z0-9]+", text.lower())
                    return "-".join(words)

                class SlugifyTests(unittest.TestCase):
                    def test_lowercases_and_joins_words(self):
                        self.assertEqual(slugify("Hello World"), "hello-world")

                    def test_removes_punctuation(self):
                        self.assertEqual(slugify("Python, 3.11!"), "python-3-11")

                    def test_empty_text_gives_empty_slug(self):
                        self.assertEqual(slugify("  "), "")

                def run_tests():
                    suite = unittest.defaultTestLoader.loadTestsFromTestCase(SlugifyTests)
                    return suite.run(unittest.TestResult())
            """),
            tests=block(r"""
                result = run_tests()
                assert result.testsRun >= 3
                assert result.wasSuccessful()
                good = slugify
                slugify = lambda text: text.lower().replace(" ", "-")
                assert not run_tests().wasSuccessful(), "the tests should catch a broken slugify"
                slugify = good
            """),
        ),
        Exercise(
            id="testing-i-2",
            prompt=(
                "Write `mean(values)` that raises `ValueError` for an empty sequence, and `test_mean()` using "
                "`unittest.TestCase().assertRaises` as a context manager plus `math.isclose` for floats."
            ),
            starter_code=block(r"""
                def mean(values):
                    return sum(values) / len(values)

                def test_mean():
                    pass
            """),
            hints=("`with unittest.TestCase().assertRaises(ValueError): mean([])`",),
            solution=block(r"""
                import math
                import unittest

                def mean(values):
                    if not values:
                        raise ValueError("mean of empty data")
                    return sum(values) / len(values)

                def test_mean():
                    case = unittest.TestCase()
                    assert math.isclose(mean([0.1, 0.2]), 0.15)
                    with case.assertRaises(ValueError):
                        mean([])
            """),
            tests=block(r"""
                test_mean()
                try:
                    mean([])
                except ValueError:
                    pass
                else:
                    raise AssertionError("mean([]) must raise ValueError")
                assert mean([1, 2, 3, 4]) == 2.5
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="testing-i-q1",
            question="Which method runs before every test method of a TestCase?",
            choices=("__init__", "setUp", "setUpClass", "before"),
            answer=1,
            explanation="`setUp` gives each test a fresh fixture; `setUpClass` runs once per class.",
        ),
        QuizQuestion(
            id="testing-i-q2",
            question="How should you compare the float result 0.1 + 0.2 with 0.3?",
            choices=("==", "math.isclose / assertAlmostEqual", "is"),
            answer=1,
            explanation="Binary floating point makes 0.1 + 0.2 == 0.3 False.",
        ),
        QuizQuestion(
            id="testing-i-q3",
            question="Why prefer `assertEqual(a, b)` over `assertTrue(a == b)`?",
            choices=(
                "It is faster",
                "Its failure message shows both values",
                "assertTrue is deprecated",
            ),
            answer=1,
            explanation="`assertTrue` only reports 'False is not true'.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Test doubles with unittest.mock",
            block("""
                Replace slow or non-deterministic collaborators (network, clock, randomness) with *test doubles*.
                `unittest.mock.Mock` records calls (`mock.assert_called_once_with(...)`), `return_value` and
                `side_effect` script its behaviour, and `patch("module.name")` swaps an attribute during a test.
                Patch where the name is *looked up*, not where it is defined. Use `create_autospec` so a mock
                rejects calls the real object would reject.
            """),
        ),
        (
            "Design for testability",
            block("""
                Code is easy to test when dependencies are passed in (dependency injection) rather than created
                inside: pass a `clock` function or a repository object and give tests a fake. Keep pure logic apart
                from I/O. Property-based testing checks invariants over many generated inputs (e.g. with the
                Hypothesis library) - you can get the idea with a seeded `random.Random` loop.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Mocking a dependency",
            code=block(r"""
                from unittest.mock import Mock

                def notify_overdue(users, mailer):
                    sent = 0
                    for user in users:
                        if user["overdue"]:
                            mailer.send(user["email"], "Your book is overdue")
                            sent += 1
                    return sent

                mailer = Mock()
                users = [{"email": "a@x.org", "overdue": True}, {"email": "b@x.org", "overdue": False}]
                print(notify_overdue(users, mailer))
                mailer.send.assert_called_once_with("a@x.org", "Your book is overdue")
                mailer.send.side_effect = ConnectionError("smtp down")
                try:
                    notify_overdue(users, mailer)
                except ConnectionError as exc:
                    print("propagated:", exc)
            """),
            expected_output="1\npropagated: smtp down\n",
        ),
        CodeExample(
            title="Injecting a clock, and a seeded property check",
            code=block(r"""
                import random
                from datetime import datetime

                def greeting(now=datetime.now):
                    return "Good morning" if now().hour < 12 else "Good afternoon"

                print(greeting(now=lambda: datetime(2024, 1, 1, 9)))
                print(greeting(now=lambda: datetime(2024, 1, 1, 15)))

                rng = random.Random(42)
                for _ in range(1000):
                    data = [rng.randint(-100, 100) for _ in range(rng.randint(0, 20))]
                    result = sorted(data)
                    assert len(result) == len(data)
                    assert all(a <= b for a, b in zip(result, result[1:]))
                print("sorted() holds its invariants on 1000 random lists")
            """),
            expected_output=("Good morning\nGood afternoon\nsorted() holds its invariants on 1000 random lists\n"),
        ),
    ),
    exercises=(
        Exercise(
            id="testing-a-1",
            prompt=(
                "Write `fetch_title(client, url)` that calls `client.get(url)` and returns the response's `'title'` "
                "key stripped, or `'(untitled)'` if it is missing; it must call `get` exactly once. "
                "Test it with a Mock."
            ),
            starter_code=block(r"""
                def fetch_title(client, url):
                    return "(untitled)"
            """),
            hints=("`client.get(url).get('title')`", "Use `Mock(return_value=...)` in your own checks."),
            solution=block(r"""
                def fetch_title(client, url):
                    title = client.get(url).get("title")
                    return title.strip() if title else "(untitled)"
            """),
            tests=block(r"""
                from unittest.mock import Mock
                client = Mock()
                client.get.return_value = {"title": "  Intro to Python "}
                assert fetch_title(client, "https://example.org") == "Intro to Python"
                client.get.assert_called_once_with("https://example.org")
                client.get.return_value = {}
                assert fetch_title(client, "https://example.org/2") == "(untitled)"
            """),
        ),
        Exercise(
            id="testing-a-2",
            prompt=(
                "Write `class RateLimiter(limit, window_seconds, clock=time.monotonic)` with `allow() -> bool` that "
                "permits at most `limit` calls in any sliding window; inject the clock so tests need no sleeping."
            ),
            starter_code=block(r"""
                import time

                class RateLimiter:
                    def __init__(self, limit, window_seconds, clock=time.monotonic):
                        self.limit = limit

                    def allow(self):
                        return True
            """),
            hints=("Keep a deque of timestamps.", "Drop timestamps older than `now - window_seconds`."),
            solution=block(r"""
                import time
                from collections import deque

                class RateLimiter:
                    def __init__(self, limit, window_seconds, clock=time.monotonic):
                        self.limit = limit
                        self.window = window_seconds
                        self.clock = clock
                        self.calls = deque()

                    def allow(self):
                        now = self.clock()
                        while self.calls and self.calls[0] <= now - self.window:
                            self.calls.popleft()
                        if len(self.calls) < self.limit:
                            self.calls.append(now)
                            return True
                        return False
            """),
            tests=block(r"""
                now = [0.0]
                limiter = RateLimiter(2, 10, clock=lambda: now[0])
                assert limiter.allow() and limiter.allow()
                assert not limiter.allow()
                now[0] = 9.9
                assert not limiter.allow()
                now[0] = 10.0
                assert limiter.allow()
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="testing-a-q1",
            question="`app.py` does `from mail import send`. What should a test patch?",
            choices=("mail.send", "app.send", "send"),
            answer=1,
            explanation="Patch the name where it is looked up; `app` holds its own reference.",
        ),
        QuizQuestion(
            id="testing-a-q2",
            question="What does setting `mock.side_effect = ValueError('x')` do?",
            choices=("Calling the mock raises ValueError", "The mock returns the exception", "Nothing"),
            answer=0,
            explanation="An exception side_effect is raised; an iterable is returned one item per call.",
        ),
        QuizQuestion(
            id="testing-a-q3",
            question="Why inject a clock instead of calling `time.time()` inside the function?",
            choices=(
                "It is faster",
                "Tests can control time deterministically without sleeping",
                "time.time() is deprecated",
            ),
            answer=1,
            explanation="Dependency injection makes time-based logic testable.",
        ),
    ),
)

TOPIC = Topic(
    slug="testing",
    title="Testing",
    summary="Check code automatically with asserts and unittest, and design code that is easy to test.",
    prerequisites=("functions", "errors"),
    objectives=(
        "Write assert-based tests for normal, edge and error cases",
        "Use unittest TestCases, setUp and specific assertions",
        "Replace collaborators with mocks",
        "Design code with injectable dependencies",
    ),
    estimated_minutes=50,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
