"""Asynchronous programming with asyncio: coroutines, tasks, gather, timeouts, queues and async iteration.

(The module is named ``async_`` because ``async`` is a keyword; the topic slug is ``async``.)
"""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Coroutines and asyncio.run",
            block("""
                `async def` defines a *coroutine function*. Calling it does not run it - it creates a coroutine
                object that must be awaited. `asyncio.run(main())` starts the event loop and runs the top-level
                coroutine to completion. Inside a coroutine, `await other()` runs another coroutine and gives control
                back to the event loop while it waits.
            """),
        ),
        (
            "Waiting without blocking",
            block("""
                Async code shines when a program spends time *waiting* (network, disk, timers). `await asyncio.sleep(1)`
                pauses one coroutine while others keep running; `time.sleep(1)` would freeze everything. Async does not
                make CPU-heavy work faster - it lets one thread juggle many waits.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Hello, asyncio",
            code=block(r"""
                import asyncio

                async def greet(name: str) -> str:
                    await asyncio.sleep(0.01)
                    return f"Hello, {name}"

                async def main() -> None:
                    message = await greet("Ada")
                    print(message)
                    coro = greet("nobody")
                    print(type(coro).__name__)
                    coro.close()

                asyncio.run(main())
            """),
            expected_output="Hello, Ada\ncoroutine\n",
        ),
        CodeExample(
            title="Sequential awaits add up",
            code=block(r"""
                import asyncio
                import time

                async def wait(seconds: float) -> float:
                    await asyncio.sleep(seconds)
                    return seconds

                async def main() -> None:
                    start = time.perf_counter()
                    await wait(0.05)
                    await wait(0.05)
                    elapsed = time.perf_counter() - start
                    print("sequential took about 0.1 s:", elapsed >= 0.09)

                asyncio.run(main())
            """),
            expected_output="sequential took about 0.1 s: True\n",
        ),
    ),
    exercises=(
        Exercise(
            id="async-b-1",
            prompt=(
                "Write a coroutine `async def double_later(x)` that awaits `asyncio.sleep(0)` and returns `x * 2`, "
                "and `run_double(x)` (a normal function) that runs it with `asyncio.run` and returns the result."
            ),
            starter_code=block(r"""
                import asyncio

                async def double_later(x):
                    ...

                def run_double(x):
                    return double_later(x)
            """),
            hints=("`await asyncio.sleep(0)` inside the coroutine.", "`asyncio.run(double_later(x))`."),
            solution=block(r"""
                import asyncio

                async def double_later(x):
                    await asyncio.sleep(0)
                    return x * 2

                def run_double(x):
                    return asyncio.run(double_later(x))
            """),
            tests=block(r"""
                import inspect
                assert inspect.iscoroutinefunction(double_later)
                assert run_double(21) == 42
                assert run_double("ab") == "abab"
            """),
        ),
        Exercise(
            id="async-b-2",
            prompt=(
                "Write `async def countdown(n, log)` that appends n, n-1, ..., 1 to the list `log`, awaiting "
                "`asyncio.sleep(0)` between numbers, then appends `'liftoff'`."
            ),
            starter_code=block(r"""
                import asyncio

                async def countdown(n, log):
                    pass
            """),
            hints=("A `for i in range(n, 0, -1):` loop with an await inside.",),
            solution=block(r"""
                import asyncio

                async def countdown(n, log):
                    for i in range(n, 0, -1):
                        log.append(i)
                        await asyncio.sleep(0)
                    log.append("liftoff")
            """),
            tests=block(r"""
                import asyncio
                log = []
                asyncio.run(countdown(3, log))
                assert log == [3, 2, 1, "liftoff"]
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="async-b-q1",
            question="What does calling `fetch()` return if it is defined with `async def`?",
            choices=("The result", "A coroutine object, not yet run", "A thread"),
            answer=1,
            explanation="Coroutines only run when awaited or scheduled, e.g. by asyncio.run.",
        ),
        QuizQuestion(
            id="async-b-q2",
            question="Why use `await asyncio.sleep()` instead of `time.sleep()` in async code?",
            choices=(
                "time.sleep is less precise",
                "time.sleep blocks the whole event loop",
                "They are identical",
            ),
            answer=1,
            explanation="Blocking calls stop every other coroutine from running.",
        ),
        QuizQuestion(
            id="async-b-q3",
            question="What kind of work benefits most from asyncio?",
            choices=("Heavy number crunching", "Many concurrent I/O waits", "Single short scripts"),
            answer=1,
            explanation="Async overlaps waiting; CPU-bound work needs processes instead.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "Running coroutines concurrently",
            block("""
                `await asyncio.gather(a(), b(), c())` runs coroutines concurrently and returns results in argument
                order. In 3.11, `asyncio.TaskGroup` is the structured alternative: tasks created with
                `tg.create_task(...)` are all awaited when the `async with` block exits, and if one fails the others
                are cancelled and the errors are raised as an `ExceptionGroup`.
            """),
        ),
        (
            "Timeouts and limits",
            block("""
                Wrap slow operations with `async with asyncio.timeout(seconds):` (3.11) or
                `asyncio.wait_for(coro, timeout)`; both raise `TimeoutError`. Limit concurrency with
                `asyncio.Semaphore(n)` so you don't open a thousand connections at once. A common bug is forgetting
                `await`: the coroutine never runs and Python warns "coroutine was never awaited".
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="gather runs waits concurrently",
            code=block(r"""
                import asyncio

                running = 0
                most_at_once = 0

                async def fetch(name: str, delay: float) -> str:
                    global running, most_at_once
                    running += 1
                    most_at_once = max(most_at_once, running)
                    await asyncio.sleep(delay)
                    running -= 1
                    return name

                async def main() -> None:
                    results = await asyncio.gather(fetch("slow", 0.1), fetch("fast", 0.05), fetch("mid", 0.07))
                    print(results)
                    print("waiting at the same time:", most_at_once)

                asyncio.run(main())
            """),
            expected_output="['slow', 'fast', 'mid']\nwaiting at the same time: 3\n",
        ),
        CodeExample(
            title="TaskGroup and timeout",
            code=block(r"""
                import asyncio

                async def square(n: int) -> int:
                    await asyncio.sleep(0.01)
                    return n * n

                async def main() -> None:
                    async with asyncio.TaskGroup() as tg:
                        tasks = [tg.create_task(square(n)) for n in range(4)]
                    print([t.result() for t in tasks])
                    try:
                        async with asyncio.timeout(0.05):
                            await asyncio.sleep(5)
                    except TimeoutError:
                        print("timed out")

                asyncio.run(main())
            """),
            expected_output="[0, 1, 4, 9]\ntimed out\n",
        ),
    ),
    exercises=(
        Exercise(
            id="async-i-1",
            prompt=(
                "Write `async def fetch_all(fetch, urls)` that calls the coroutine function `fetch(url)` for every "
                "url concurrently and returns the results in the same order as `urls`."
            ),
            starter_code=block(r"""
                import asyncio

                async def fetch_all(fetch, urls):
                    return []
            """),
            hints=("`asyncio.gather(*(fetch(u) for u in urls))`",),
            solution=block(r"""
                import asyncio

                async def fetch_all(fetch, urls):
                    return list(await asyncio.gather(*(fetch(url) for url in urls)))
            """),
            tests=block(r"""
                import asyncio

                in_flight = []
                most_at_once = 0

                async def fake_fetch(url):
                    global most_at_once
                    in_flight.append(url)
                    most_at_once = max(most_at_once, len(in_flight))
                    await asyncio.sleep(0.01)
                    in_flight.remove(url)
                    return url.upper()

                result = asyncio.run(fetch_all(fake_fetch, ["a", "b", "c", "d"]))
                assert result == ["A", "B", "C", "D"]
                assert most_at_once == 4, "requests should run concurrently"
                assert asyncio.run(fetch_all(fake_fetch, [])) == []
            """),
        ),
        Exercise(
            id="async-i-2",
            prompt=(
                "Write `async def with_timeout(coro, seconds, default)` returning the coroutine's result, or `default` "
                "if it does not finish within `seconds`."
            ),
            starter_code=block(r"""
                import asyncio

                async def with_timeout(coro, seconds, default):
                    return await coro
            """),
            hints=("`async with asyncio.timeout(seconds):` or `asyncio.wait_for`.", "Catch `TimeoutError`."),
            solution=block(r"""
                import asyncio

                async def with_timeout(coro, seconds, default):
                    try:
                        async with asyncio.timeout(seconds):
                            return await coro
                    except TimeoutError:
                        return default
            """),
            tests=block(r"""
                import asyncio

                async def slow(value, delay):
                    await asyncio.sleep(delay)
                    return value

                assert asyncio.run(with_timeout(slow("fast", 0.01), 1, "default")) == "fast"
                assert asyncio.run(with_timeout(slow("late", 0.5), 0.05, "default")) == "default"
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="async-i-q1",
            question="In what order does `asyncio.gather(a(), b())` return results?",
            choices=("In completion order", "In argument order", "Random"),
            answer=1,
            explanation="gather preserves the order of the awaitables passed in.",
        ),
        QuizQuestion(
            id="async-i-q2",
            question="What happens to the other tasks in a TaskGroup when one raises?",
            choices=("They keep running", "They are cancelled, and errors raise as an ExceptionGroup", "They restart"),
            answer=1,
            explanation="TaskGroup provides structured concurrency with cancellation on failure.",
        ),
        QuizQuestion(
            id="async-i-q3",
            question="What does `asyncio.Semaphore(5)` let you do?",
            choices=(
                "Run 5 event loops",
                "Limit how many coroutines enter a section at once",
                "Retry 5 times",
            ),
            answer=1,
            explanation="`async with sem:` bounds concurrency, e.g. open connections.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Async iteration and context managers",
            block("""
                An `async def` function containing `yield` is an *async generator*, consumed with `async for`.
                Async comprehensions (`[x async for x in agen()]`) work inside coroutines. Objects with
                `__aenter__`/`__aexit__` are used with `async with`; `contextlib.asynccontextmanager` builds them from
                an async generator. These are how libraries stream rows from a database or chunks from a socket.
            """),
        ),
        (
            "Queues, cancellation and blocking code",
            block("""
                `asyncio.Queue` coordinates producers and consumers; `queue.join()` waits until every item was marked
                `task_done()`. Cancelling a task raises `CancelledError` inside it at the next `await` - clean up in
                `finally` and re-raise rather than swallow it. Call blocking functions via
                `await asyncio.to_thread(func, *args)` so they don't stall the event loop.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Async generators and async with",
            code=block(r"""
                import asyncio
                from contextlib import asynccontextmanager

                async def ticker(n: int):
                    for i in range(n):
                        await asyncio.sleep(0)
                        yield i

                @asynccontextmanager
                async def connection(name: str):
                    print("open", name)
                    try:
                        yield name.upper()
                    finally:
                        print("close", name)

                async def main() -> None:
                    async with connection("db") as conn:
                        rows = [f"{conn}:{i}" async for i in ticker(3)]
                    print(rows)

                asyncio.run(main())
            """),
            expected_output="open db\nclose db\n['DB:0', 'DB:1', 'DB:2']\n",
        ),
        CodeExample(
            title="Producer/consumer queue and cancellation",
            code=block(r"""
                import asyncio

                async def worker(name: str, queue: asyncio.Queue, results: list) -> None:
                    try:
                        while True:
                            item = await queue.get()
                            results.append(item * 10)
                            queue.task_done()
                    except asyncio.CancelledError:
                        results.append(f"{name} stopped")
                        raise

                async def main() -> None:
                    queue: asyncio.Queue[int] = asyncio.Queue()
                    results: list = []
                    task = asyncio.create_task(worker("w1", queue, results))
                    for i in range(3):
                        queue.put_nowait(i)
                    await queue.join()
                    task.cancel()
                    try:
                        await task
                    except asyncio.CancelledError:
                        pass
                    print(results, task.cancelled())
                    print(await asyncio.to_thread(sum, [1, 2, 3]))

                asyncio.run(main())
            """),
            expected_output="[0, 10, 20, 'w1 stopped'] True\n6\n",
        ),
    ),
    exercises=(
        Exercise(
            id="async-a-1",
            prompt=(
                "Write an async generator `async def batched(source, size)` that consumes the async iterable "
                "`source` and yields lists of up to `size` items."
            ),
            starter_code=block(r"""
                async def batched(source, size):
                    yield []
            """),
            hints=("Use `async for item in source:`.", "Yield the leftover partial batch at the end."),
            solution=block(r"""
                async def batched(source, size):
                    batch = []
                    async for item in source:
                        batch.append(item)
                        if len(batch) == size:
                            yield batch
                            batch = []
                    if batch:
                        yield batch
            """),
            tests=block(r"""
                import asyncio

                async def numbers(n):
                    for i in range(n):
                        await asyncio.sleep(0)
                        yield i

                async def collect(n, size):
                    return [b async for b in batched(numbers(n), size)]

                assert asyncio.run(collect(5, 2)) == [[0, 1], [2, 3], [4]]
                assert asyncio.run(collect(0, 3)) == []
            """),
        ),
        Exercise(
            id="async-a-2",
            prompt=(
                "Write `async def bounded_map(func, items, limit)` applying the coroutine function `func` to every "
                "item concurrently, with at most `limit` calls in flight at once; return results in input order."
            ),
            starter_code=block(r"""
                import asyncio

                async def bounded_map(func, items, limit):
                    return [await func(item) for item in items[:limit]]
            """),
            hints=("Create one `asyncio.Semaphore(limit)`.", "Wrap each call in `async with sem:` and gather them."),
            solution=block(r"""
                import asyncio

                async def bounded_map(func, items, limit):
                    semaphore = asyncio.Semaphore(limit)

                    async def guarded(item):
                        async with semaphore:
                            return await func(item)

                    return list(await asyncio.gather(*(guarded(item) for item in items)))
            """),
            tests=block(r"""
                import asyncio

                state = {"running": 0, "peak": 0}

                async def work(x):
                    state["running"] += 1
                    state["peak"] = max(state["peak"], state["running"])
                    await asyncio.sleep(0.01)
                    state["running"] -= 1
                    return x * x

                assert asyncio.run(bounded_map(work, list(range(10)), 3)) == [x * x for x in range(10)]
                assert state["peak"] == 3
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="async-a-q1",
            question="How do you consume an async generator?",
            choices=("for x in agen()", "async for x in agen()", "list(agen())", "await agen()"),
            answer=1,
            explanation="Async iterators implement `__anext__`, which needs `async for`.",
        ),
        QuizQuestion(
            id="async-a-q2",
            question="What should a task do when it catches `asyncio.CancelledError`?",
            choices=("Swallow it and continue", "Clean up and re-raise it", "Call asyncio.run again"),
            answer=1,
            explanation="Swallowing cancellation breaks timeouts and TaskGroups.",
        ),
        QuizQuestion(
            id="async-a-q3",
            question="How do you call a blocking library function from async code without stalling the loop?",
            choices=("Call it directly", "await asyncio.to_thread(func, *args)", "Wrap it in async def"),
            answer=1,
            explanation="to_thread runs it in a worker thread and awaits the result.",
        ),
    ),
)

TOPIC = Topic(
    slug="async",
    title="Async Programming",
    summary=(
        "Write concurrent I/O-bound programs with asyncio: coroutines, tasks, timeouts, queues and async iteration."
    ),
    prerequisites=("functions", "iterators-generators", "errors"),
    objectives=(
        "Define and run coroutines with asyncio.run",
        "Run work concurrently with gather and TaskGroup",
        "Apply timeouts and concurrency limits",
        "Use async generators, queues and cancellation correctly",
    ),
    estimated_minutes=60,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
