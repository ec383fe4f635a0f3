"""Reading and writing files safely: open, with, pathlib, csv/json, and in-memory streams."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Opening files with with",
            block("""
                `open(path, mode, encoding="utf-8")` returns a file object. Modes: `"r"` read (default), `"w"` write
                (truncates!), `"a"` append. Always use a `with` block - it closes the file even if an error occurs:

                ```python
                with open("notes.txt", "w", encoding="utf-8") as f:
                    f.write("first line\\n")
                ```

                Always pass `encoding="utf-8"` for text so your program behaves the same on every OS.
            """),
        ),
        (
            "Reading text",
            block("""
                `f.read()` returns the whole file as one string; iterating `for line in f:` yields lines one at a time
                (each ending with `"\\n"` - use `line.rstrip("\\n")` or `strip()`). In examples we write into a
                temporary directory from `tempfile` so nothing is left behind.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Write then read a file in a temporary directory",
            code=block(r"""
                import os
                import tempfile

                with tempfile.TemporaryDirectory() as folder:
                    path = os.path.join(folder, "notes.txt")
                    with open(path, "w", encoding="utf-8") as f:
                        f.write("first line\n")
                        f.write("second line\n")
                    with open(path, encoding="utf-8") as f:
                        print(f.read(), end="")
            """),
            expected_output="first line\nsecond line\n",
        ),
        CodeExample(
            title="Looping over lines",
            code=block(r"""
                import io

                f = io.StringIO("apples 3\npears 5\n\nplums 2\n")
                total = 0
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    name, count = line.split()
                    total += int(count)
                    print(name)
                print("total", total)
            """),
            expected_output="apples\npears\nplums\ntotal 10\n",
        ),
    ),
    exercises=(
        Exercise(
            id="files-b-1",
            prompt="Write `count_lines(f)` returning how many non-empty lines the open text file `f` has.",
            starter_code=block(r"""
                def count_lines(f):
                    return 0
            """),
            hints=("Iterate the file object line by line.", "`line.strip()` is empty for blank lines."),
            solution=block(r"""
                def count_lines(f):
                    return sum(1 for line in f if line.strip())
            """),
            tests=block(r"""
                import io
                assert count_lines(io.StringIO("a\n\nb\n  \nc")) == 3
                assert count_lines(io.StringIO("")) == 0
            """),
        ),
        Exercise(
            id="files-b-2",
            prompt=(
                "Write `save_and_load(path, lines)` that writes each string in `lines` on its own line to "
                "`path`, then reads the file back and returns its content."
            ),
            starter_code=block(r"""
                def save_and_load(path, lines):
                    ...
            """),
            hints=("Open with mode 'w' and `encoding='utf-8'`.", "Join with `'\\n'` or write each line plus `'\\n'`."),
            solution=block(r"""
                def save_and_load(path, lines):
                    with open(path, "w", encoding="utf-8") as f:
                        for line in lines:
                            f.write(line + "\n")
                    with open(path, encoding="utf-8") as f:
                        return f.read()
            """),
            tests=block(r"""
                import os
                import tempfile
                with tempfile.TemporaryDirectory() as folder:
                    target = os.path.join(folder, "out.txt")
                    assert save_and_load(target, ["a", "b"]) == "a\nb\n"
                    assert save_and_load(target, ["only"]) == "only\n"
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="files-b-q1",
            question="What does opening an existing file with mode 'w' do?",
            choices=("Appends to it", "Erases its content first", "Raises FileExistsError"),
            answer=1,
            explanation="'w' truncates; use 'a' to append or 'x' to fail if it exists.",
        ),
        QuizQuestion(
            id="files-b-q2",
            question="Why use `with open(...) as f:`?",
            choices=(
                "It reads faster",
                "It closes the file automatically, even on errors",
                "It is the only way to write",
            ),
            answer=1,
            explanation="The context manager guarantees the file is closed.",
        ),
        QuizQuestion(
            id="files-b-q3",
            question="Lines obtained by iterating over a text file...",
            choices=("never include the newline", "usually end with '\\n'", "are lists of words"),
            answer=1,
            explanation="Every line but possibly the last keeps its newline character.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "pathlib",
            block("""
                `pathlib.Path` is the modern way to handle paths: join with `/`, inspect with `.name`, `.suffix`,
                `.stem`, `.parent`, and do small I/O with `.read_text(encoding="utf-8")` and `.write_text(...)`.
                `path.glob("*.txt")` lists matching files and `path.mkdir(parents=True, exist_ok=True)` creates
                directories.
            """),
        ),
        (
            "Structured formats: csv and json",
            block("""
                The `csv` module handles quoting for you: `csv.DictReader(f)` yields one dict per row; open files
                for csv with `newline=""`. `json.dump(obj, f)` / `json.load(f)` (and `dumps`/`loads` for strings)
                convert between Python dicts/lists and JSON text. Any file-like object works - including an
                in-memory `io.StringIO`, which is perfect for tests.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="pathlib in a temporary directory",
            code=block(r"""
                import tempfile
                from pathlib import Path

                with tempfile.TemporaryDirectory() as tmp:
                    root = Path(tmp)
                    (root / "data").mkdir()
                    for name in ("a.txt", "b.txt", "c.csv"):
                        (root / "data" / name).write_text(name.upper(), encoding="utf-8")
                    texts = sorted(p.name for p in (root / "data").glob("*.txt"))
                    print(texts)
                    report = root / "data" / "c.csv"
                    print(report.stem, report.suffix, report.read_text(encoding="utf-8"))
            """),
            expected_output="['a.txt', 'b.txt']\nc .csv C.CSV\n",
        ),
        CodeExample(
            title="csv and json with StringIO",
            code=block(r"""
                import csv
                import io
                import json

                source = io.StringIO('name,city\nAda,London\n"Hopper, Grace",New York\n')
                rows = list(csv.DictReader(source))
                print(rows[1]["name"])
                out = io.StringIO()
                json.dump(rows, out)
                print(json.loads(out.getvalue())[0])
            """),
            expected_output="Hopper, Grace\n{'name': 'Ada', 'city': 'London'}\n",
        ),
    ),
    exercises=(
        Exercise(
            id="files-i-1",
            prompt=(
                "Write `total_by_category(f)` reading CSV text with header `category,amount` from file-like `f` and "
                "returning a dict of category -> total amount (float)."
            ),
            starter_code=block(r"""
                import csv

                def total_by_category(f):
                    return {}
            """),
            hints=("`csv.DictReader` gives dicts keyed by header.", "Convert amounts with `float()`."),
            solution=block(r"""
                import csv

                def total_by_category(f):
                    totals: dict[str, float] = {}
                    for row in csv.DictReader(f):
                        totals[row["category"]] = totals.get(row["category"], 0.0) + float(row["amount"])
                    return totals
            """),
            tests=block(r"""
                import io
                data = io.StringIO("category,amount\nfood,10.5\nrent,500\nfood,4.5\n")
                assert total_by_category(data) == {"food": 15.0, "rent": 500.0}
                assert total_by_category(io.StringIO("category,amount\n")) == {}
            """),
        ),
        Exercise(
            id="files-i-2",
            prompt=(
                "Write `update_json(path, key, value)` that loads a JSON object from `path` (a `pathlib.Path`; treat a "
                "missing file as `{}`), sets `key` to `value`, writes it back and returns the updated dict."
            ),
            starter_code=block(r"""
                import json
                from pathlib import Path

                def update_json(path: Path, key: str, value) -> dict:
                    ...
            """),
            hints=("`path.exists()` or catch `FileNotFoundError`.", "`json.dumps` + `path.write_text`."),
            solution=block(r"""
                import json
                from pathlib import Path

                def update_json(path: Path, key: str, value) -> dict:
                    try:
                        data = json.loads(path.read_text(encoding="utf-8"))
                    except FileNotFoundError:
                        data = {}
                    data[key] = value
                    path.write_text(json.dumps(data), encoding="utf-8")
                    return data
            """),
            tests=block(r"""
                import tempfile
                with tempfile.TemporaryDirectory() as tmp:
                    target = Path(tmp) / "settings.json"
                    assert update_json(target, "theme", "dark") == {"theme": "dark"}
                    assert update_json(target, "size", 12) == {"theme": "dark", "size": 12}
                    assert json.loads(target.read_text(encoding="utf-8")) == {"theme": "dark", "size": 12}
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="files-i-q1",
            question="What does `Path('/data') / 'report.csv'` produce?",
            choices=("A TypeError", "Path('/data/report.csv')", "'/datareport.csv'"),
            answer=1,
            explanation="The `/` operator joins path components.",
        ),
        QuizQuestion(
            id="files-i-q2",
            question="Why open CSV files with `newline=''`?",
            choices=(
                "To remove all newlines",
                "So the csv module handles line endings and quoted newlines itself",
                "It is required for reading JSON",
            ),
            answer=1,
            explanation="The csv docs recommend it to avoid doubled or mangled line endings.",
        ),
        QuizQuestion(
            id="files-i-q3",
            question="What is `io.StringIO` useful for?",
            choices=(
                "A file-like object in memory, e.g. to test file-processing code",
                "Compressing strings",
                "Reading files faster from disk",
            ),
            answer=0,
            explanation="Code that accepts a file object works unchanged with StringIO.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Streaming and binary data",
            block("""
                Large files should be processed in chunks, not with `read()`: `iter(lambda: f.read(65536), b"")`
                reads fixed-size blocks until EOF. Binary mode (`"rb"`, `"wb"`) returns `bytes`; `io.BytesIO` is its
                in-memory twin. `hashlib` digests can be updated chunk by chunk, so hashing a huge file needs
                constant memory.
            """),
        ),
        (
            "Safe writes and your own context managers",
            block("""
                Writing directly to the target file can leave it half-written if the program crashes. Write to a
                temporary file in the same directory, then `os.replace(tmp, target)` - an atomic rename on POSIX
                and Windows. `contextlib.contextmanager` turns a generator into a context manager: code before
                `yield` is setup, code after it (in `finally`) is cleanup.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Hashing a stream in chunks",
            code=block(r"""
                import hashlib
                import io

                stream = io.BytesIO(b"x" * 200_000)
                digest = hashlib.sha256()
                chunks = 0
                for chunk in iter(lambda: stream.read(65_536), b""):
                    digest.update(chunk)
                    chunks += 1
                print(chunks, digest.hexdigest() == hashlib.sha256(b"x" * 200_000).hexdigest())
            """),
            expected_output="4 True\n",
        ),
        CodeExample(
            title="Atomic write with a context manager",
            code=block(r"""
                import os
                import tempfile
                from contextlib import contextmanager
                from pathlib import Path

                @contextmanager
                def atomic_write(target: Path):
                    fd, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
                    try:
                        with os.fdopen(fd, "w", encoding="utf-8") as f:
                            yield f
                        os.replace(tmp_name, target)
                    finally:
                        if os.path.exists(tmp_name):
                            os.remove(tmp_name)

                with tempfile.TemporaryDirectory() as tmp:
                    target = Path(tmp) / "config.txt"
                    target.write_text("old", encoding="utf-8")
                    try:
                        with atomic_write(target) as f:
                            f.write("half")
                            raise RuntimeError("crash")
                    except RuntimeError:
                        pass
                    print(target.read_text(encoding="utf-8"))
                    with atomic_write(target) as f:
                        f.write("new")
                    print(target.read_text(encoding="utf-8"), sorted(p.name for p in Path(tmp).iterdir()))
            """),
            expected_output="old\nnew ['config.txt']\n",
        ),
    ),
    exercises=(
        Exercise(
            id="files-a-1",
            prompt=(
                "Write `count_bytes(stream, needle, chunk_size=4)` counting occurrences of a single byte value "
                "`needle` (an int) in a binary stream, reading at most `chunk_size` bytes at a time."
            ),
            starter_code=block(r"""
                def count_bytes(stream, needle, chunk_size=4):
                    return stream.read().count(needle) * 0
            """),
            hints=("`iter(lambda: stream.read(chunk_size), b'')` yields chunks.", "`bytes.count(int)` works."),
            solution=block(r"""
                def count_bytes(stream, needle, chunk_size=4):
                    total = 0
                    for chunk in iter(lambda: stream.read(chunk_size), b""):
                        total += chunk.count(needle)
                    return total
            """),
            tests=block(r"""
                import io

                class Spy(io.BytesIO):
                    biggest = 0

                    def read(self, size=-1):
                        Spy.biggest = max(Spy.biggest, size if size >= 0 else 10**9)
                        return super().read(size)

                assert count_bytes(Spy(b"banana split"), ord("a")) == 3
                assert Spy.biggest <= 4
                assert count_bytes(io.BytesIO(b""), 0) == 0
            """),
        ),
        Exercise(
            id="files-a-2",
            prompt=(
                "Write a context manager `chdir_temp()` (use `contextlib.contextmanager`) that creates a temporary "
                "directory, makes it the current working directory, yields its `Path`, and restores the previous "
                "working directory and deletes the temp dir afterwards - even on errors."
            ),
            starter_code=block(r"""
                from contextlib import contextmanager

                @contextmanager
                def chdir_temp():
                    yield None
            """),
            hints=("Save `os.getcwd()` first.", "Restore it in a `finally` block around `yield`."),
            solution=block(r"""
                import os
                import tempfile
                from contextlib import contextmanager
                from pathlib import Path

                @contextmanager
                def chdir_temp():
                    previous = os.getcwd()
                    with tempfile.TemporaryDirectory() as tmp:
                        os.chdir(tmp)
                        try:
                            yield Path(tmp)
                        finally:
                            os.chdir(previous)
            """),
            tests=block(r"""
                import os
                from pathlib import Path
                start = os.getcwd()
                with chdir_temp() as folder:
                    assert Path(os.getcwd()).resolve() == folder.resolve()
                    Path("scratch.txt").write_text("x", encoding="utf-8")
                assert os.getcwd() == start
                assert not folder.exists()
                try:
                    with chdir_temp():
                        raise KeyError("boom")
                except KeyError:
                    pass
                assert os.getcwd() == start
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="files-a-q1",
            question="Why write to a temp file and then `os.replace` it over the target?",
            choices=(
                "It is faster",
                "Readers never see a half-written file; the rename is atomic",
                "It avoids needing encoding=",
            ),
            answer=1,
            explanation="A crash mid-write leaves the old file intact.",
        ),
        QuizQuestion(
            id="files-a-q2",
            question="What does reading a file opened with mode 'rb' return?",
            choices=("str", "bytes", "list[int]"),
            answer=1,
            explanation="Binary mode returns raw bytes with no decoding.",
        ),
        QuizQuestion(
            id="files-a-q3",
            question="In a `@contextmanager` generator, where should cleanup code go?",
            choices=("Before yield", "In a finally block after yield", "In __init__"),
            answer=1,
            explanation="`finally` ensures cleanup runs even when the with-body raises.",
        ),
    ),
)

TOPIC = Topic(
    slug="files",
    title="Files and I/O",
    summary="Read and write text and binary data safely, with pathlib, csv, json and in-memory streams.",
    prerequisites=("errors", "strings"),
    objectives=(
        "Open, read and write text files with with-blocks",
        "Use pathlib for paths",
        "Read and write CSV and JSON",
        "Stream large data and write files atomically",
    ),
    estimated_minutes=45,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
