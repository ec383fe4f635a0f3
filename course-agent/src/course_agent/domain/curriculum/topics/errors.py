"""Exceptions: try/except/else/finally, raising, custom exceptions, chaining and groups."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "What exceptions are",
            block("""
                When something goes wrong at runtime Python *raises an exception*: `int("abc")` raises
                `ValueError`, `1 / 0` raises `ZeroDivisionError`, `[][0]` raises `IndexError`, and `{}["k"]` raises
                `KeyError`. If nothing handles it, the program stops and prints a traceback - read it from the
                bottom: the last line names the exception and message.
            """),
        ),
        (
            "Handling with try/except",
            block("""
                Put risky code in `try` and handle specific exceptions in `except`:

                ```python
                try:
                    age = int(text)
                except ValueError:
                    age = 0
                ```

                Catch the narrowest exception you expect; a bare `except:` hides bugs.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Catching a ValueError",
            code=block(r"""
                for text in ["42", "forty-two"]:
                    try:
                        number = int(text)
                        print("parsed", number)
                    except ValueError:
                        print("not a number:", text)
            """),
            expected_output="parsed 42\nnot a number: forty-two\n",
        ),
        CodeExample(
            title="Inspecting the exception",
            code=block(r"""
                try:
                    result = 10 / 0
                except ZeroDivisionError as exc:
                    print(type(exc).__name__, "-", exc)
                try:
                    [1, 2][5]
                except IndexError as exc:
                    print(type(exc).__name__, "-", exc)
            """),
            expected_output="ZeroDivisionError - division by zero\nIndexError - list index out of range\n",
        ),
    ),
    exercises=(
        Exercise(
            id="errors-b-1",
            prompt=(
                "Write `safe_int(text, default=0)` returning `int(text)`, or `default` if it is not a valid integer."
            ),
            starter_code=block(r"""
                def safe_int(text, default=0):
                    return int(text)
            """),
            hints=("Wrap the conversion in `try` and catch `ValueError`.",),
            solution=block(r"""
                def safe_int(text, default=0):
                    try:
                        return int(text)
                    except ValueError:
                        return default
            """),
            tests=block(r"""
                assert safe_int("12") == 12
                assert safe_int("x") == 0
                assert safe_int("1.5", default=-1) == -1
            """),
        ),
        Exercise(
            id="errors-b-2",
            prompt="Write `safe_divide(a, b)` returning `a / b`, or `None` when `b` is zero.",
            starter_code=block(r"""
                def safe_divide(a, b):
                    return a / b
            """),
            hints=("Catch `ZeroDivisionError`.",),
            solution=block(r"""
                def safe_divide(a, b):
                    try:
                        return a / b
                    except ZeroDivisionError:
                        return None
            """),
            tests=block(r"""
                assert safe_divide(6, 3) == 2
                assert safe_divide(1, 0) is None
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="errors-b-q1",
            question="Which exception does `int('abc')` raise?",
            choices=("TypeError", "ValueError", "SyntaxError", "NameError"),
            answer=1,
            explanation="The type (str) is acceptable but its value cannot be parsed.",
        ),
        QuizQuestion(
            id="errors-b-q2",
            question="Where is the most useful line of a traceback?",
            choices=("The first line", "The last line", "The middle"),
            answer=1,
            explanation="The last line names the exception type and message.",
        ),
        QuizQuestion(
            id="errors-b-q3",
            question="Why avoid a bare `except:`?",
            choices=(
                "It is slower",
                "It also swallows unexpected errors and even KeyboardInterrupt, hiding bugs",
                "It is not valid Python 3",
            ),
            answer=1,
            explanation="Catch only the exceptions you know how to handle.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "else, finally and raise",
            block("""
                The full form is `try` / `except` / `else` / `finally`. `else` runs only if no exception happened -
                keep the `try` block minimal and put follow-up work there. `finally` always runs, for cleanup.
                Signal problems in your own code with `raise ValueError("reason")`, and re-raise inside an
                `except` with a bare `raise`.
            """),
        ),
        (
            "Custom exceptions and EAFP",
            block("""
                Define domain errors by subclassing `Exception`: `class InsufficientFunds(Exception): ...`.
                A small hierarchy lets callers catch broadly (`BankError`) or precisely. Python favours EAFP -
                "easier to ask forgiveness than permission": try the operation and handle the failure, rather
                than checking every precondition first (LBYL), which can also be racy.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="try/except/else/finally in order",
            code=block(r"""
                def run(divisor):
                    try:
                        value = 10 / divisor
                    except ZeroDivisionError:
                        print("except")
                    else:
                        print("else", value)
                    finally:
                        print("finally")

                run(2)
                run(0)
            """),
            expected_output="else 5.0\nfinally\nexcept\nfinally\n",
        ),
        CodeExample(
            title="A custom exception hierarchy",
            code=block(r"""
                class BankError(Exception):
                    pass

                class InsufficientFunds(BankError):
                    def __init__(self, needed: float) -> None:
                        super().__init__(f"need {needed:.2f} more")
                        self.needed = needed

                def withdraw(balance: float, amount: float) -> float:
                    if amount > balance:
                        raise InsufficientFunds(amount - balance)
                    return balance - amount

                try:
                    withdraw(10, 25)
                except BankError as exc:
                    print(type(exc).__name__, exc, exc.needed)
            """),
            expected_output="InsufficientFunds need 15.00 more 15\n",
        ),
    ),
    exercises=(
        Exercise(
            id="errors-i-1",
            prompt=(
                "Define `class ValidationError(Exception)` and write `parse_age(text)` that returns an int age "
                "between 0 and 150, raising `ValidationError` for non-numbers or out-of-range values."
            ),
            starter_code=block(r"""
                class ValidationError(Exception):
                    pass

                def parse_age(text):
                    return int(text)
            """),
            hints=("Convert the ValueError into your own exception with `raise ... from err`.",),
            solution=block(r"""
                class ValidationError(Exception):
                    pass

                def parse_age(text):
                    try:
                        age = int(text)
                    except ValueError as err:
                        raise ValidationError(f"not a number: {text!r}") from err
                    if not 0 <= age <= 150:
                        raise ValidationError(f"out of range: {age}")
                    return age
            """),
            tests=block(r"""
                assert parse_age("42") == 42
                for bad in ["abc", "-1", "151"]:
                    try:
                        parse_age(bad)
                    except ValidationError:
                        pass
                    else:
                        raise AssertionError(f"{bad} should be rejected")
            """),
        ),
        Exercise(
            id="errors-i-2",
            prompt=(
                "Write `lookup_all(mapping, keys)` returning `(found_values, missing_keys)` using EAFP "
                "(try the lookup and catch KeyError) rather than checking `in` first."
            ),
            starter_code=block(r"""
                def lookup_all(mapping, keys):
                    return [], []
            """),
            hints=("Loop over keys; append to one list in `try`, the other in `except KeyError`.",),
            solution=block(r"""
                def lookup_all(mapping, keys):
                    found, missing = [], []
                    for key in keys:
                        try:
                            found.append(mapping[key])
                        except KeyError:
                            missing.append(key)
                    return found, missing
            """),
            tests=block(r"""
                assert lookup_all({"a": 1, "b": 2}, ["a", "x", "b"]) == ([1, 2], ["x"])
                assert lookup_all({}, []) == ([], [])
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="errors-i-q1",
            question="When does the `else` block of a try statement run?",
            choices=("Always", "Only if no exception was raised in try", "Only if an exception was handled"),
            answer=1,
            explanation="`else` is for code that should run only on success; `finally` always runs.",
        ),
        QuizQuestion(
            id="errors-i-q2",
            question="What should a custom exception class usually inherit from?",
            choices=("BaseException", "Exception", "object", "Error"),
            answer=1,
            explanation="BaseException also covers SystemExit and KeyboardInterrupt, which apps should not catch.",
        ),
        QuizQuestion(
            id="errors-i-q3",
            question="What does a bare `raise` inside an except block do?",
            choices=("Raises RuntimeError", "Re-raises the exception being handled", "Nothing"),
            answer=1,
            explanation="It propagates the current exception with its original traceback.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Exception chaining and context",
            block("""
                Raising inside an `except` block records the original as `__context__` ("During handling of the above
                exception, another exception occurred"). `raise NewError(...) from err` marks it as the explicit
                `__cause__` ("The above exception was the direct cause"), and `from None` hides the context when it is
                an implementation detail. Since 3.11, `exc.add_note("...")` attaches extra context to tracebacks.
            """),
        ),
        (
            "Exception groups and except*",
            block("""
                Python 3.11 adds `ExceptionGroup` to raise several unrelated errors at once (for example, from
                concurrent tasks). `except* ValueError as group:` handles the matching part of a group while the
                rest propagates; a handler may run for several types. `contextlib.suppress(FileNotFoundError)` is a
                readable way to ignore one expected error.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Chaining with from and add_note",
            code=block(r"""
                class ConfigError(Exception):
                    pass

                def load_port(settings):
                    try:
                        return int(settings["port"])
                    except (KeyError, ValueError) as err:
                        error = ConfigError("invalid port")
                        error.add_note(f"settings were {settings!r}")
                        raise error from err

                try:
                    load_port({"port": "eighty"})
                except ConfigError as exc:
                    print(exc, "| cause:", type(exc.__cause__).__name__)
                    print(exc.__notes__)
            """),
            expected_output="invalid port | cause: ValueError\n[\"settings were {'port': 'eighty'}\"]\n",
        ),
        CodeExample(
            title="ExceptionGroup and except*",
            code=block(r"""
                def validate(record):
                    errors = []
                    if not record.get("name"):
                        errors.append(ValueError("name is required"))
                    if not isinstance(record.get("age"), int):
                        errors.append(TypeError("age must be an int"))
                    if errors:
                        raise ExceptionGroup("invalid record", errors)

                try:
                    validate({"name": "", "age": "old"})
                except* ValueError as group:
                    print("values:", [str(e) for e in group.exceptions])
                except* TypeError as group:
                    print("types:", [str(e) for e in group.exceptions])
            """),
            expected_output="values: ['name is required']\ntypes: ['age must be an int']\n",
        ),
    ),
    exercises=(
        Exercise(
            id="errors-a-1",
            prompt=(
                "Write `run_all(funcs)` that calls every zero-argument function, returns the list of results if "
                "all succeed, and otherwise raises an `ExceptionGroup('run_all failed', errors)` with every "
                "exception (after calling all of them)."
            ),
            starter_code=block(r"""
                def run_all(funcs):
                    return [f() for f in funcs]
            """),
            hints=("Collect exceptions in a list inside a loop with try/except Exception.",),
            solution=block(r"""
                def run_all(funcs):
                    results, errors = [], []
                    for func in funcs:
                        try:
                            results.append(func())
                        except Exception as exc:
                            errors.append(exc)
                    if errors:
                        raise ExceptionGroup("run_all failed", errors)
                    return results
            """),
            tests=block(r"""
                assert run_all([lambda: 1, lambda: 2]) == [1, 2]
                calls = []

                def boom():
                    calls.append("boom")
                    raise KeyError("k")

                def late():
                    calls.append("late")
                    return 3

                try:
                    run_all([lambda: 1 / 0, boom, late])
                except ExceptionGroup as group:
                    assert [type(e) for e in group.exceptions] == [ZeroDivisionError, KeyError]
                else:
                    raise AssertionError("expected an ExceptionGroup")
                assert calls == ["boom", "late"]
            """),
        ),
        Exercise(
            id="errors-a-2",
            prompt=(
                "Write `get_setting(settings, key)` that returns `settings[key]`, but on a missing key raises "
                "`LookupError(f'missing setting: {key}')` chained with `from None` so the KeyError is hidden."
            ),
            starter_code=block(r"""
                def get_setting(settings, key):
                    return settings[key]
            """),
            hints=("Inside `except KeyError:` write `raise LookupError(...) from None`.",),
            solution=block(r"""
                def get_setting(settings, key):
                    try:
                        return settings[key]
                    except KeyError:
                        raise LookupError(f"missing setting: {key}") from None
            """),
            tests=block(r"""
                assert get_setting({"a": 1}, "a") == 1
                try:
                    get_setting({}, "port")
                except LookupError as exc:
                    assert type(exc) is LookupError
                    assert str(exc) == "missing setting: port"
                    assert exc.__cause__ is None and exc.__suppress_context__
                else:
                    raise AssertionError("expected LookupError")
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="errors-a-q1",
            question="What does `raise B() from A_instance` set on the new exception?",
            choices=("__context__ only", "__cause__", "__notes__", "Nothing"),
            answer=1,
            explanation="`from` sets `__cause__` (and `__suppress_context__`); implicit chaining uses `__context__`.",
        ),
        QuizQuestion(
            id="errors-a-q2",
            question="With `except* ValueError`, what happens to a TypeError in the same group that nobody handles?",
            choices=("It is silently dropped", "It is re-raised in an ExceptionGroup", "It becomes a ValueError"),
            answer=1,
            explanation="Unhandled parts of a group propagate as a (smaller) exception group.",
        ),
        QuizQuestion(
            id="errors-a-q3",
            question="Which is the idiomatic way to ignore a FileNotFoundError when deleting a file?",
            choices=(
                "try/except Exception: pass",
                "with contextlib.suppress(FileNotFoundError): os.remove(path)",
                "if os.path.exists(path): os.remove(path) is always equivalent",
            ),
            answer=1,
            explanation="`suppress` is narrow and race-free; the exists() check can race with other processes.",
        ),
    ),
)

TOPIC = Topic(
    slug="errors",
    title="Errors and Exceptions",
    summary="Read tracebacks, handle and raise exceptions, design custom errors, and use chaining and groups.",
    prerequisites=("functions",),
    objectives=(
        "Read a traceback",
        "Handle specific exceptions with try/except/else/finally",
        "Raise and define custom exceptions",
        "Chain exceptions and handle exception groups",
    ),
    estimated_minutes=45,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
