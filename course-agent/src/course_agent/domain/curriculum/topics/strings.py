"""Working with text: str, indexing, methods, formatting."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Creating strings and indexing",
            block("""
                Strings are written with single or double quotes: `'hi'` or `"hi"`. Triple quotes span lines.
                A string is a sequence of characters, so you can index it from `0`, or from the end with
                negative numbers: `"python"[0]` is `"p"` and `"python"[-1]` is `"n"`.
                Slices take a range: `"python"[0:2]` is `"py"` (the end index is excluded).
                `len(s)` gives the number of characters.
            """),
        ),
        (
            "Joining and f-strings",
            block("""
                `+` concatenates strings and `*` repeats them. The most readable way to build text from values is
                an **f-string**: put `f` before the quote and expressions inside braces:

                ```python
                name = "Ada"
                print(f"Hello, {name}! You have {3 + 4} messages.")
                ```
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Indexing and slicing",
            code=block(r"""
                word = "python"
                print(word[0], word[-1], word[1:4], len(word))
            """),
            expected_output="p n yth 6\n",
        ),
        CodeExample(
            title="f-strings and common methods",
            code=block(r"""
                name = "  ada lovelace "
                clean = name.strip().title()
                print(f"Hello, {clean}!")
                print(clean.upper(), clean.lower().count("a"))
            """),
            expected_output="Hello, Ada Lovelace!\nADA LOVELACE 3\n",
        ),
    ),
    exercises=(
        Exercise(
            id="strings-b-1",
            prompt="Write `greet(name)` that returns `'Hello, <name>!'`, e.g. `greet('Ada') == 'Hello, Ada!'`.",
            starter_code=block(r"""
                def greet(name):
                    ...
            """),
            hints=('Use an f-string: `f"Hello, {name}!"`.',),
            solution=block(r"""
                def greet(name):
                    return f"Hello, {name}!"
            """),
            tests=block(r"""
                assert greet("Ada") == "Hello, Ada!"
                assert greet("") == "Hello, !"
            """),
        ),
        Exercise(
            id="strings-b-2",
            prompt=(
                "Write `initials(first, last)` returning the capitalised initials, e.g. `('ada', 'lovelace')` "
                "-> `'AL'`."
            ),
            starter_code=block(r"""
                def initials(first, last):
                    pass
            """),
            hints=("Index with `[0]` to get the first character.", "`.upper()` capitalises."),
            solution=block(r"""
                def initials(first, last):
                    return (first[0] + last[0]).upper()
            """),
            tests=block(r"""
                assert initials("ada", "lovelace") == "AL"
                assert initials("Grace", "hopper") == "GH"
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="strings-b-q1",
            question="What is `'python'[-2]`?",
            choices=("'p'", "'o'", "'n'", "'h'"),
            answer=1,
            explanation="Negative indices count from the end: -1 is 'n', -2 is 'o'.",
        ),
        QuizQuestion(
            id="strings-b-q2",
            question="What does `'ab' * 3` evaluate to?",
            choices=("'ab3'", "'ababab'", "An error"),
            answer=1,
            explanation="Multiplying a string by an int repeats it.",
        ),
        QuizQuestion(
            id="strings-b-q3",
            question="Which line prints `x = 5` when `x = 5`?",
            choices=("print('x = {x}')", "print(f'x = {x}')", "print('x = ' + x)"),
            answer=1,
            explanation="Only the f-string interpolates; concatenating a str and an int raises TypeError.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "Strings are immutable",
            block("""
                String methods never change the string; they return a new one. `s.upper()` alone does nothing
                useful - write `s = s.upper()`. Building a long string with `+=` in a loop creates many
                intermediate strings; collect pieces in a list and use `"".join(pieces)` instead.
            """),
        ),
        (
            "Splitting, joining and searching",
            block("""
                - `s.split()` splits on any whitespace; `s.split(",")` on a separator.
                - `", ".join(items)` glues an iterable of strings together.
                - `sub in s`, `s.startswith(...)`, `s.find(...)` (returns -1 if absent) search.
                - `s.replace(old, new)` replaces every occurrence.
                - Format specs inside f-strings: `f"{price:.2f}"`, `f"{name:>10}"`, `f"{n:,}"`.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="split and join",
            code=block(r"""
                csv_line = "ada, grace ,linus"
                names = [part.strip() for part in csv_line.split(",")]
                print(names)
                print(" | ".join(name.capitalize() for name in names))
            """),
            expected_output="['ada', 'grace', 'linus']\nAda | Grace | Linus\n",
        ),
        CodeExample(
            title="Format specifications",
            code=block(r"""
                price = 1234.5
                print(f"{price:.2f}|{price:,.1f}|{'ok':>5}|{'ok':<5}|{42:05d}")
            """),
            expected_output="1234.50|1,234.5|   ok|ok   |00042\n",
        ),
    ),
    exercises=(
        Exercise(
            id="strings-i-1",
            prompt=(
                "Write `is_palindrome(text)` that ignores case and any non-alphanumeric characters, "
                "e.g. `'A man, a plan, a canal: Panama'` is a palindrome."
            ),
            starter_code=block(r"""
                def is_palindrome(text: str) -> bool:
                    raise NotImplementedError
            """),
            hints=("Keep only characters where `ch.isalnum()`.", "Compare with the reversed string `s[::-1]`."),
            solution=block(r"""
                def is_palindrome(text: str) -> bool:
                    cleaned = "".join(ch.lower() for ch in text if ch.isalnum())
                    return cleaned == cleaned[::-1]
            """),
            tests=block(r"""
                assert is_palindrome("A man, a plan, a canal: Panama")
                assert is_palindrome("")
                assert not is_palindrome("python")
            """),
        ),
        Exercise(
            id="strings-i-2",
            prompt="Write `word_count(text)` returning the number of whitespace-separated words in `text`.",
            starter_code=block(r"""
                def word_count(text: str) -> int:
                    ...
            """),
            hints=("`split()` with no argument collapses runs of whitespace.",),
            solution=block(r"""
                def word_count(text: str) -> int:
                    return len(text.split())
            """),
            tests=block(r"""
                assert word_count("the quick  brown\tfox\n") == 4
                assert word_count("   ") == 0
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="strings-i-q1",
            question="After `s = 'hi'; s.upper()`, what is `s`?",
            choices=("'HI'", "'hi'", "None"),
            answer=1,
            explanation="Strings are immutable; `upper()` returns a new string that was discarded.",
        ),
        QuizQuestion(
            id="strings-i-q2",
            question="What is `'-'.join(['a', 'b', 'c'])`?",
            choices=("'a-b-c'", "'-a-b-c-'", "['a-', 'b-', 'c']", "'abc-'"),
            answer=0,
            explanation="`join` puts the separator between items only.",
        ),
        QuizQuestion(
            id="strings-i-q3",
            question="What does `'banana'.find('x')` return?",
            choices=("None", "-1", "It raises ValueError", "0"),
            answer=1,
            explanation="`find` returns -1 when absent; `index` would raise ValueError.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Text versus bytes",
            block("""
                A `str` is a sequence of Unicode code points; `bytes` is a sequence of integers 0-255.
                Convert explicitly with `text.encode("utf-8")` and `data.decode("utf-8")`. `len()` counts code
                points for `str` and bytes for `bytes`, so they differ for non-ASCII text.
                Use `str.casefold()` rather than `lower()` for caseless comparisons.
            """),
        ),
        (
            "Regular expressions and formatting protocols",
            block("""
                The `re` module matches patterns: `re.findall(r"\\d+", s)`, named groups
                `(?P<year>\\d{4})`, and `re.sub` with a function replacement. Always use raw strings for patterns.
                Objects control their f-string rendering with `__format__`, and `f"{value!r}"` uses `repr()`;
                `f"{x=}"` prints both the expression and its value, which is handy for debugging.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Encoding and decoding",
            code=block(r"""
                text = "caf\u00e9"
                data = text.encode("utf-8")
                print(len(text), len(data), data)
                print(data.decode("utf-8") == text, "STRASSE".casefold() == "stra\u00dfe".casefold())
            """),
            expected_output="4 5 b'caf\\xc3\\xa9'\nTrue True\n",
        ),
        CodeExample(
            title="Named groups and the debugging specifier",
            code=block(r"""
                import re

                log = "2024-03-01 ERROR disk full; 2024-03-02 WARN cpu hot"
                pattern = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2}) (?P<level>[A-Z]+)")
                for match in pattern.finditer(log):
                    print(match["level"], match.group("date"))
                count = len(pattern.findall(log))
                print(f"{count=}")
            """),
            expected_output="ERROR 2024-03-01\nWARN 2024-03-02\ncount=2\n",
        ),
    ),
    exercises=(
        Exercise(
            id="strings-a-1",
            prompt=(
                "Write `extract_emails(text)` returning every e-mail address (`name@domain.tld`, letters, digits, "
                "dots, `_`, `+` and `-` allowed before the @) in order of appearance."
            ),
            starter_code=block(r"""
                import re

                def extract_emails(text: str) -> list[str]:
                    ...
            """),
            hints=("`re.findall` returns all matches.", 'Try `r"[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+"`.'),
            solution=block(r"""
                import re

                EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

                def extract_emails(text: str) -> list[str]:
                    return EMAIL.findall(text)
            """),
            tests=block(r"""
                assert extract_emails("mail ada@example.com or g.hopper+x@navy.mil.") == [
                    "ada@example.com",
                    "g.hopper+x@navy.mil",
                ]
                assert extract_emails("no address here") == []
            """),
        ),
        Exercise(
            id="strings-a-2",
            prompt="Write `utf8_size(text)` returning how many bytes `text` takes when encoded as UTF-8.",
            starter_code=block(r"""
                def utf8_size(text: str) -> int:
                    return len(text)
            """),
            hints=("`len(text)` counts code points, not bytes.", "Encode first."),
            solution=block(r"""
                def utf8_size(text: str) -> int:
                    return len(text.encode("utf-8"))
            """),
            tests=block(r"""
                assert utf8_size("abc") == 3
                assert utf8_size("caf\u00e9") == 5
                assert utf8_size("\U0001F40D") == 4
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="strings-a-q1",
            question="What is `len('\\u00e9'.encode('utf-8'))`?",
            choices=("1", "2", "4"),
            answer=1,
            explanation="U+00E9 is one code point but two bytes in UTF-8.",
        ),
        QuizQuestion(
            id="strings-a-q2",
            question="Why write regex patterns as raw strings like `r'\\d+'`?",
            choices=(
                "They run faster",
                "Backslashes are passed to `re` unchanged instead of being string escapes",
                "Raw strings are required by `re.compile`",
            ),
            answer=1,
            explanation="Without `r`, sequences such as `\\b` become string escapes before `re` sees them.",
        ),
        QuizQuestion(
            id="strings-a-q3",
            question="What does `f'{x=}'` print when `x = 3`?",
            choices=("3", "x=3", "{x=}", "x = 3"),
            answer=1,
            explanation="The `=` specifier renders the expression text followed by its repr.",
        ),
    ),
)

TOPIC = Topic(
    slug="strings",
    title="Strings and Text",
    summary="Index, slice, transform and format text, from f-strings to bytes and regular expressions.",
    prerequisites=("variables",),
    objectives=(
        "Index and slice strings",
        "Format output with f-strings",
        "Split, join and search text idiomatically",
        "Distinguish str from bytes and use regular expressions",
    ),
    estimated_minutes=40,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
