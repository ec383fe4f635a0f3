"""The iteration protocol, generator functions, yield from, and lazy pipelines."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Iterables and iterators",
            block("""
                Anything you can loop over is an *iterable* (lists, strings, dicts, files...). `iter(iterable)` gives
                an *iterator*, and `next(iterator)` returns the next item, raising `StopIteration` when there are no
                more. A `for` loop does exactly this for you. An iterator remembers its position and can only be
                used once.
            """),
        ),
        (
            "Generator functions",
            block("""
                A function containing `yield` is a *generator function*. Calling it returns a generator (an iterator)
                without running the body; each `next()` runs until the next `yield`, hands back that value and pauses:

                ```python
                def count_up(limit):
                    n = 1
                    while n <= limit:
                        yield n
                        n += 1
                ```

                Generators produce values lazily, so they can even be infinite.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="next() by hand",
            code=block(r"""
                letters = iter("ab")
                print(next(letters))
                print(next(letters))
                try:
                    next(letters)
                except StopIteration:
                    print("done")
            """),
            expected_output="a\nb\ndone\n",
        ),
        CodeExample(
            title="A simple generator",
            code=block(r"""
                def count_up(limit):
                    n = 1
                    while n <= limit:
                        yield n
                        n += 1

                gen = count_up(3)
                print(next(gen))
                print(list(gen))
                print(list(gen))
                print(sum(count_up(100)))
            """),
            expected_output="1\n[2, 3]\n[]\n5050\n",
        ),
    ),
    exercises=(
        Exercise(
            id="iterators-generators-b-1",
            prompt="Write a generator `evens_up_to(n)` yielding the even numbers 0, 2, 4, ... up to and including n.",
            starter_code=block(r"""
                def evens_up_to(n):
                    return []
            """),
            hints=("Use `yield` inside a loop over `range(0, n + 1, 2)`.",),
            solution=block(r"""
                def evens_up_to(n):
                    for i in range(0, n + 1, 2):
                        yield i
            """),
            tests=block(r"""
                import types
                assert isinstance(evens_up_to(4), types.GeneratorType)
                assert list(evens_up_to(7)) == [0, 2, 4, 6]
                assert list(evens_up_to(8)) == [0, 2, 4, 6, 8]
            """),
        ),
        Exercise(
            id="iterators-generators-b-2",
            prompt="Write a generator `countdown(n)` yielding n, n-1, ..., 1.",
            starter_code=block(r"""
                def countdown(n):
                    ...
            """),
            hints=("A `while n > 0:` loop with `yield n` then `n -= 1`.",),
            solution=block(r"""
                def countdown(n):
                    while n > 0:
                        yield n
                        n -= 1
            """),
            tests=block(r"""
                assert list(countdown(3)) == [3, 2, 1]
                assert list(countdown(0)) == []
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="iterators-generators-b-q1",
            question="What does calling a generator function return?",
            choices=("The first yielded value", "A generator object", "A list of all values", "None"),
            answer=1,
            explanation="The body only starts running on the first next().",
        ),
        QuizQuestion(
            id="iterators-generators-b-q2",
            question="What does `next()` raise when an iterator is exhausted?",
            choices=("IndexError", "StopIteration", "ValueError"),
            answer=1,
            explanation="for loops catch StopIteration to know when to stop.",
        ),
        QuizQuestion(
            id="iterators-generators-b-q3",
            question="After `g = count_up(3); list(g)`, what is `list(g)` again?",
            choices=("[1, 2, 3]", "[]", "An error"),
            answer=1,
            explanation="A generator is exhausted after one full pass.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "Writing an iterator class",
            block("""
                An iterable defines `__iter__` returning an iterator; an iterator defines `__next__` (raising
                `StopIteration` at the end) and an `__iter__` that returns itself. Often the easiest way to make a
                class iterable is to write `__iter__` as a generator method with `yield` - then each loop gets a
                fresh iterator and the object can be iterated many times.
            """),
        ),
        (
            "Pipelines and yield from",
            block("""
                Generators chain into memory-efficient pipelines: each stage consumes the previous one lazily, e.g.
                read lines -> strip -> filter -> parse. `yield from iterable` delegates to another iterable, which
                makes recursive generators (walking trees, flattening) short. `itertools.islice` takes the first
                items of an infinite generator.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="An iterable class via a generator __iter__",
            code=block(r"""
                class Playlist:
                    def __init__(self, *songs):
                        self.songs = list(songs)

                    def __iter__(self):
                        for position, song in enumerate(self.songs, start=1):
                            yield f"{position}. {song}"

                mix = Playlist("Intro", "Theme")
                print(list(mix))
                print(list(mix))
            """),
            expected_output="['1. Intro', '2. Theme']\n['1. Intro', '2. Theme']\n",
        ),
        CodeExample(
            title="A lazy pipeline with yield from",
            code=block(r"""
                from itertools import islice

                def naturals():
                    n = 1
                    while True:
                        yield n
                        n += 1

                def flatten(nested):
                    for item in nested:
                        if isinstance(item, list):
                            yield from flatten(item)
                        else:
                            yield item

                squares = (n * n for n in naturals())
                odd_squares = (s for s in squares if s % 2)
                print(list(islice(odd_squares, 4)))
                print(list(flatten([1, [2, [3, [4]]], 5])))
            """),
            expected_output="[1, 9, 25, 49]\n[1, 2, 3, 4, 5]\n",
        ),
    ),
    exercises=(
        Exercise(
            id="iterators-generators-i-1",
            prompt=(
                "Write an iterator class `Countdown(start)` implementing `__iter__` and `__next__` by hand "
                "(no generators) that yields start, start-1, ..., 1."
            ),
            starter_code=block(r"""
                class Countdown:
                    def __init__(self, start):
                        self.current = start
            """),
            hints=("`__iter__` returns self.", "Raise `StopIteration` when current reaches 0."),
            solution=block(r"""
                class Countdown:
                    def __init__(self, start):
                        self.current = start

                    def __iter__(self):
                        return self

                    def __next__(self):
                        if self.current <= 0:
                            raise StopIteration
                        self.current -= 1
                        return self.current + 1
            """),
            tests=block(r"""
                c = Countdown(3)
                assert iter(c) is c
                assert list(c) == [3, 2, 1]
                assert list(c) == []
                assert next(Countdown(1)) == 1
            """),
        ),
        Exercise(
            id="iterators-generators-i-2",
            prompt="Write a generator `chunked(iterable, size)` yielding lists of up to `size` consecutive items.",
            starter_code=block(r"""
                def chunked(iterable, size):
                    yield list(iterable)
            """),
            hints=("Collect items in a list; yield and reset it when it reaches size.", "Yield a last partial chunk."),
            solution=block(r"""
                def chunked(iterable, size):
                    chunk = []
                    for item in iterable:
                        chunk.append(item)
                        if len(chunk) == size:
                            yield chunk
                            chunk = []
                    if chunk:
                        yield chunk
            """),
            tests=block(r"""
                assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
                assert list(chunked([], 2)) == []
                assert next(chunked(iter(range(10**9)), 2)) == [0, 1]
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="iterators-generators-i-q1",
            question="What must an iterator's `__iter__` return?",
            choices=("A new list", "self", "None"),
            answer=1,
            explanation="Iterators are iterable too, returning themselves.",
        ),
        QuizQuestion(
            id="iterators-generators-i-q2",
            question="What does `yield from inner` do?",
            choices=(
                "Yields the inner generator object itself",
                "Yields every item produced by inner",
                "Returns from the function",
            ),
            answer=1,
            explanation="It delegates iteration to the inner iterable.",
        ),
        QuizQuestion(
            id="iterators-generators-i-q3",
            question="Why can an object whose `__iter__` is a generator method be looped over twice?",
            choices=(
                "Each call to __iter__ creates a fresh generator",
                "Generators automatically rewind",
                "It caches the values",
            ),
            answer=0,
            explanation="The object is an iterable, not an iterator; each loop gets its own iterator.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Generators as coroutines",
            block("""
                A generator is a two-way channel: `value = yield result` receives what the caller passes to
                `gen.send(value)`. `gen.close()` raises `GeneratorExit` inside it (run cleanup in `finally`), and
                `gen.throw(exc)` raises an exception at the paused `yield`. A `return value` in a generator becomes
                `StopIteration.value`, and is the result of `yield from`.
            """),
        ),
        (
            "Lazy evaluation trade-offs",
            block("""
                Lazy pipelines save memory and can stop early, but they are single-pass, and errors surface only when
                items are pulled. `itertools.tee` splits an iterator (buffering what one branch has not consumed);
                materialise with `list()` when you need several passes. Generators capture variables - a generator
                expression's first iterable is evaluated eagerly, the rest lazily.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="send() and a running average",
            code=block(r"""
                def averager():
                    total, count, average = 0.0, 0, None
                    while True:
                        value = yield average
                        total += value
                        count += 1
                        average = total / count

                avg = averager()
                next(avg)
                print(avg.send(10), avg.send(20), avg.send(60))
            """),
            expected_output="10.0 15.0 30.0\n",
        ),
        CodeExample(
            title="Return values, close() and cleanup",
            code=block(r"""
                def worker():
                    try:
                        yield 1
                        yield 2
                    finally:
                        print("cleanup")

                def summing(items):
                    total = 0
                    for item in items:
                        total += item
                        yield item
                    return total

                def outer():
                    result = yield from summing([1, 2, 3])
                    print("inner returned", result)

                w = worker()
                print(next(w))
                w.close()
                print(list(outer()))
            """),
            expected_output="1\ncleanup\ninner returned 6\n[1, 2, 3]\n",
        ),
    ),
    exercises=(
        Exercise(
            id="iterators-generators-a-1",
            prompt=(
                "Write a generator `running_max()` that receives numbers via `send()` and yields the maximum seen so "
                "far (it yields None once when primed with `next()`)."
            ),
            starter_code=block(r"""
                def running_max():
                    yield None
            """),
            hints=("Use `value = yield current` in a `while True` loop.",),
            solution=block(r"""
                def running_max():
                    current = None
                    while True:
                        value = yield current
                        if current is None or value > current:
                            current = value
            """),
            tests=block(r"""
                gen = running_max()
                assert next(gen) is None
                assert gen.send(3) == 3
                assert gen.send(1) == 3
                assert gen.send(7) == 7
            """),
        ),
        Exercise(
            id="iterators-generators-a-2",
            prompt=(
                "Write a generator `walk(tree)` over nested dicts like `{'a': {'b': 1}, 'c': 2}` yielding "
                "`(path, value)` for every leaf, where path is a tuple of keys, in insertion order; use `yield from`."
            ),
            starter_code=block(r"""
                def walk(tree, prefix=()):
                    yield from tree.items()
            """),
            hints=("Recurse when a value is a dict, passing `prefix + (key,)`.",),
            solution=block(r"""
                def walk(tree, prefix=()):
                    for key, value in tree.items():
                        path = (*prefix, key)
                        if isinstance(value, dict):
                            yield from walk(value, path)
                        else:
                            yield path, value
            """),
            tests=block(r"""
                tree = {"a": {"b": 1, "c": {"d": 2}}, "e": 3}
                assert list(walk(tree)) == [(("a", "b"), 1), (("a", "c", "d"), 2), (("e",), 3)]
                assert list(walk({})) == []
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="iterators-generators-a-q1",
            question="Why must you call `next(gen)` before the first `gen.send(value)`?",
            choices=(
                "To advance the generator to its first yield so it can receive a value",
                "To reset it",
                "It is optional",
            ),
            answer=0,
            explanation="Sending a non-None value to a just-started generator raises TypeError.",
        ),
        QuizQuestion(
            id="iterators-generators-a-q2",
            question="What is the value of `result = yield from sub()`?",
            choices=("The last yielded value", "The value sub() returns", "Always None"),
            answer=1,
            explanation="The return value of the sub-generator is carried by StopIteration.value.",
        ),
        QuizQuestion(
            id="iterators-generators-a-q3",
            question="What does `gen.close()` do to a paused generator?",
            choices=(
                "Nothing",
                "Raises GeneratorExit at the paused yield so finally blocks run",
                "Deletes the generator's variables immediately without running code",
            ),
            answer=1,
            explanation="That is why cleanup in `finally` is reliable.",
        ),
    ),
)

TOPIC = Topic(
    slug="iterators-generators",
    title="Iterators and Generators",
    summary="Understand the iteration protocol and write lazy, composable generators.",
    prerequisites=("classes", "loops"),
    objectives=(
        "Use iter() and next() and explain StopIteration",
        "Write generator functions with yield",
        "Build iterable classes and lazy pipelines",
        "Use send(), close() and yield from",
    ),
    estimated_minutes=50,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
