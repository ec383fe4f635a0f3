"""Functions: parameters, return values, defaults, *args/**kwargs, closures and decorators."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Defining and calling functions",
            block("""
                A function packages a piece of work under a name. `def` defines it, parameters receive the
                arguments, and `return` sends a value back to the caller:

                ```python
                def area(width, height):
                    return width * height

                print(area(3, 4))  # 12
                ```

                A function without `return` returns `None`. Define once, call as often as you like.
            """),
        ),
        (
            "Default and keyword arguments",
            block("""
                Parameters can have defaults: `def greet(name, greeting="Hello"):`. Callers may pass arguments
                by position or by name (`greet("Ada", greeting="Hi")`); keyword arguments make calls
                self-documenting. Add a docstring as the first statement to explain what the function does.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="A function with a return value",
            code=block(r"""
                def area(width, height):
                    '''Return the area of a rectangle.'''
                    return width * height

                print(area(3, 4))
                print(area(width=2, height=5))
                print(area.__doc__)
            """),
            expected_output="12\n10\nReturn the area of a rectangle.\n",
        ),
        CodeExample(
            title="Defaults and None",
            code=block(r"""
                def greet(name, greeting="Hello"):
                    return f"{greeting}, {name}!"

                def shout(text):
                    print(text.upper())

                print(greet("Ada"))
                print(greet("Grace", greeting="Hi"))
                result = shout("hey")
                print(result)
            """),
            expected_output="Hello, Ada!\nHi, Grace!\nHEY\nNone\n",
        ),
    ),
    exercises=(
        Exercise(
            id="functions-b-1",
            prompt="Write `celsius_to_fahrenheit(c)` returning `c * 9 / 5 + 32`.",
            starter_code=block(r"""
                def celsius_to_fahrenheit(c):
                    pass
            """),
            hints=("Don't forget the `return` keyword.",),
            solution=block(r"""
                def celsius_to_fahrenheit(c):
                    return c * 9 / 5 + 32
            """),
            tests=block(r"""
                assert celsius_to_fahrenheit(0) == 32
                assert celsius_to_fahrenheit(100) == 212
                assert celsius_to_fahrenheit(-40) == -40
            """),
        ),
        Exercise(
            id="functions-b-2",
            prompt="Write `power(base, exponent=2)` returning base raised to exponent, defaulting to squaring.",
            starter_code=block(r"""
                def power(base, exponent):
                    ...
            """),
            hints=("Give the parameter a default with `exponent=2`.", "`**` raises to a power."),
            solution=block(r"""
                def power(base, exponent=2):
                    return base**exponent
            """),
            tests=block(r"""
                assert power(3) == 9
                assert power(2, 10) == 1024
                assert power(base=5, exponent=0) == 1
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="functions-b-q1",
            question="What does a function return if it has no `return` statement?",
            choices=("0", "None", "An empty string", "It raises an error"),
            answer=1,
            explanation="Falling off the end of a function returns None.",
        ),
        QuizQuestion(
            id="functions-b-q2",
            question="Given `def f(a, b=1): return a + b`, what is `f(2)`?",
            choices=("2", "3", "TypeError"),
            answer=1,
            explanation="`b` takes its default of 1.",
        ),
        QuizQuestion(
            id="functions-b-q3",
            question="What is the difference between `print` and `return` in a function?",
            choices=(
                "None, they are the same",
                "`print` shows text; `return` hands a value back to the caller",
                "`return` shows text; `print` hands a value back",
            ),
            answer=1,
            explanation="Printed text cannot be used by the caller; returned values can.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "*args, **kwargs and keyword-only parameters",
            block("""
                `*args` collects extra positional arguments into a tuple and `**kwargs` extra keyword arguments
                into a dict. Parameters after a bare `*` are keyword-only, and parameters before `/` are
                positional-only:

                ```python
                def connect(host, /, *, timeout=5.0, retries=3): ...
                ```

                At call sites, `*seq` and `**mapping` unpack arguments.
            """),
        ),
        (
            "The mutable default pitfall",
            block("""
                Defaults are evaluated **once**, when `def` runs. A mutable default such as `[]` is shared by every
                call, so it accumulates state. Use `None` as a sentinel and create the object inside:

                ```python
                def add_item(item, items=None):
                    if items is None:
                        items = []
                    items.append(item)
                    return items
                ```

                Functions are objects: they can be stored, passed to `sorted(key=...)`, or written inline as `lambda`.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="*args and **kwargs",
            code=block(r"""
                def describe(*args, sep=", ", **kwargs):
                    parts = [str(a) for a in args] + [f"{k}={v}" for k, v in kwargs.items()]
                    return sep.join(parts)

                print(describe(1, 2, colour="red"))
                values = [3, 4]
                options = {"sep": " | ", "size": "L"}
                print(describe(*values, **options))
            """),
            expected_output="1, 2, colour=red\n3 | 4 | size=L\n",
        ),
        CodeExample(
            title="Why mutable defaults bite",
            code=block(r"""
                def bad_append(item, items=[]):
                    items.append(item)
                    return items

                def good_append(item, items=None):
                    if items is None:
                        items = []
                    items.append(item)
                    return items

                print(bad_append(1), bad_append(2))
                print(good_append(1), good_append(2))
                print(sorted(["pear", "fig", "banana"], key=len))
            """),
            expected_output="[1, 2] [1, 2]\n[1] [2]\n['fig', 'pear', 'banana']\n",
        ),
    ),
    exercises=(
        Exercise(
            id="functions-i-1",
            prompt="Write `average(*numbers)` returning the mean of any number of arguments, or `0.0` if none.",
            starter_code=block(r"""
                def average(*numbers):
                    ...
            """),
            hints=("`numbers` is a tuple; an empty tuple is falsy.",),
            solution=block(r"""
                def average(*numbers):
                    if not numbers:
                        return 0.0
                    return sum(numbers) / len(numbers)
            """),
            tests=block(r"""
                assert average(1, 2, 3) == 2
                assert average() == 0.0
                assert average(*[10, 20]) == 15
            """),
        ),
        Exercise(
            id="functions-i-2",
            prompt=(
                "Write `tag(name, *, cls=None, **attrs)` building an HTML opening tag: `tag('a', href='/x')` -> "
                "`'<a href=\"/x\">'`, `tag('p', cls='note')` -> `'<p class=\"note\">'`. `cls` must be keyword-only."
            ),
            starter_code=block(r"""
                def tag(name, cls=None, **attrs):
                    return f"<{name}>"
            """),
            hints=("A bare `*` makes following parameters keyword-only.", "Insert `class` first, then the others."),
            solution=block(r"""
                def tag(name, *, cls=None, **attrs):
                    if cls is not None:
                        attrs = {"class": cls, **attrs}
                    rendered = "".join(f' {key}="{value}"' for key, value in attrs.items())
                    return f"<{name}{rendered}>"
            """),
            tests=block(r"""
                assert tag("br") == "<br>"
                assert tag("a", href="/x") == '<a href="/x">'
                assert tag("p", cls="note", id="n1") == '<p class="note" id="n1">'
                try:
                    tag("p", "note")
                except TypeError:
                    pass
                else:
                    raise AssertionError("cls must be keyword-only")
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="functions-i-q1",
            question="When is a default argument value evaluated?",
            choices=("On every call", "Once, when the def statement runs", "Lazily, on first use"),
            answer=1,
            explanation="That is why a mutable default is shared across calls.",
        ),
        QuizQuestion(
            id="functions-i-q2",
            question="In `def f(a, *, b):`, how must `b` be passed?",
            choices=("Positionally", "By keyword", "Either way", "It cannot be passed"),
            answer=1,
            explanation="Parameters after a bare `*` are keyword-only.",
        ),
        QuizQuestion(
            id="functions-i-q3",
            question="What type is `kwargs` inside `def f(**kwargs)`?",
            choices=("tuple", "list", "dict"),
            answer=2,
            explanation="Extra keyword arguments are collected into a dict.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Closures and decorators",
            block("""
                An inner function that uses names of its enclosing function is a *closure*: it keeps those
                variables alive. A *decorator* is a callable that takes a function and returns a replacement;
                `@decorator` above a `def` applies it. Always wrap with `functools.wraps` so the result keeps the
                original `__name__` and docstring. Decorators with arguments are factories returning a decorator.
            """),
        ),
        (
            "functools and late binding",
            block("""
                `functools.cache` / `lru_cache` memoise pure functions, `functools.partial` pre-fills arguments,
                and `functools.reduce` folds an iterable. Closures bind *variables*, not values: lambdas created in
                a loop all see the loop variable's final value unless you bind it with a default (`lambda i=i: i`)
                or use `partial`.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="A decorator with functools.wraps",
            code=block(r"""
                import functools

                def count_calls(func):
                    @functools.wraps(func)
                    def wrapper(*args, **kwargs):
                        wrapper.calls += 1
                        return func(*args, **kwargs)

                    wrapper.calls = 0
                    return wrapper

                @count_calls
                def add(a, b):
                    '''Add two numbers.'''
                    return a + b

                add(1, 2)
                add(3, 4)
                print(add.__name__, add.__doc__, add.calls)
            """),
            expected_output="add Add two numbers. 2\n",
        ),
        CodeExample(
            title="cache, partial and late binding",
            code=block(r"""
                from functools import cache, partial

                @cache
                def fib(n):
                    return n if n < 2 else fib(n - 1) + fib(n - 2)

                print(fib(80))
                int_from_binary = partial(int, base=2)
                print(int_from_binary("1010"))
                late = [lambda: i for i in range(3)]
                bound = [lambda i=i: i for i in range(3)]
                print([f() for f in late], [f() for f in bound])
            """),
            expected_output="23416728348467685\n10\n[2, 2, 2] [0, 1, 2]\n",
        ),
    ),
    exercises=(
        Exercise(
            id="functions-a-1",
            prompt=(
                "Write a decorator factory `retry(times)` that calls the decorated function up to `times` times, "
                "re-raising the last exception if every attempt fails. Preserve the function's name."
            ),
            starter_code=block(r"""
                import functools

                def retry(times):
                    def decorator(func):
                        return func
                    return decorator
            """),
            hints=("Three levels: retry(times) -> decorator(func) -> wrapper(*args, **kwargs).",),
            solution=block(r"""
                import functools

                def retry(times):
                    def decorator(func):
                        @functools.wraps(func)
                        def wrapper(*args, **kwargs):
                            for attempt in range(times):
                                try:
                                    return func(*args, **kwargs)
                                except Exception:
                                    if attempt == times - 1:
                                        raise
                        return wrapper
                    return decorator
            """),
            tests=block(r"""
                attempts = []

                @retry(3)
                def flaky():
                    attempts.append(1)
                    if len(attempts) < 3:
                        raise ConnectionError("try again")
                    return "ok"

                assert flaky() == "ok"
                assert len(attempts) == 3
                assert flaky.__name__ == "flaky"

                @retry(2)
                def broken():
                    raise ValueError("always")

                try:
                    broken()
                except ValueError:
                    pass
                else:
                    raise AssertionError("expected the last ValueError")
            """),
        ),
        Exercise(
            id="functions-a-2",
            prompt=(
                "Write `compose(*funcs)` returning a function that applies the functions right to left: "
                "`compose(f, g)(x) == f(g(x))`; `compose()` is the identity."
            ),
            starter_code=block(r"""
                def compose(*funcs):
                    raise NotImplementedError
            """),
            hints=("`functools.reduce` can fold the functions.", "Iterate over `reversed(funcs)`."),
            solution=block(r"""
                def compose(*funcs):
                    def composed(x):
                        for func in reversed(funcs):
                            x = func(x)
                        return x
                    return composed
            """),
            tests=block(r"""
                inc = lambda x: x + 1
                double = lambda x: x * 2
                assert compose(inc, double)(5) == 11
                assert compose(double, inc)(5) == 12
                assert compose()(7) == 7
                assert compose(str, abs)(-3) == "3"
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="functions-a-q1",
            question="Why use `functools.wraps` in a decorator?",
            choices=(
                "It makes the wrapper faster",
                "It copies the wrapped function's name, docstring and other metadata",
                "It is required for the @ syntax",
            ),
            answer=1,
            explanation="Without it, introspection and tracebacks show `wrapper` instead of the real function.",
        ),
        QuizQuestion(
            id="functions-a-q2",
            question="What does `[f() for f in [lambda: i for i in range(3)]]` give?",
            choices=("[0, 1, 2]", "[2, 2, 2]", "[0, 0, 0]", "NameError"),
            answer=1,
            explanation="Closures look up `i` when called, after the loop finished with i == 2.",
        ),
        QuizQuestion(
            id="functions-a-q3",
            question="Which functions are safe to decorate with `functools.cache`?",
            choices=(
                "Any function",
                "Pure functions with hashable arguments",
                "Only functions without arguments",
            ),
            answer=1,
            explanation="Results are keyed by the arguments, which must be hashable; side effects would be skipped.",
        ),
    ),
)

TOPIC = Topic(
    slug="functions",
    title="Functions",
    summary="Package logic in reusable functions: parameters, return values, flexible signatures and decorators.",
    prerequisites=("control-flow", "loops"),
    objectives=(
        "Define functions with parameters and return values",
        "Use defaults, keyword, *args and **kwargs arguments",
        "Avoid the mutable default pitfall",
        "Write closures and decorators",
    ),
    estimated_minutes=50,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
