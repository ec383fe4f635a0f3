"""Built-in collections: lists, tuples, dicts, sets, and the collections module."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Lists and tuples",
            block("""
                A **list** is an ordered, changeable sequence: `nums = [3, 1, 2]`. Add with `append`, remove with
                `remove` or `pop`, sort in place with `sort()`, and index and slice like strings.
                A **tuple** `(3, 1, 2)` is an ordered sequence that cannot change - good for fixed records such as
                coordinates.
            """),
        ),
        (
            "Dictionaries and sets",
            block("""
                A **dict** maps keys to values: `ages = {"ada": 36}`. Read with `ages["ada"]` (KeyError if missing)
                or `ages.get("bob", 0)` (default). Assign to add or update, and loop with `for name, age in
                ages.items():`. A **set** `{1, 2, 3}` holds unique items with fast membership tests (`x in s`);
                `set(list_with_duplicates)` removes duplicates.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Working with a list",
            code=block(r"""
                nums = [3, 1, 2]
                nums.append(5)
                nums.sort()
                print(nums, nums[0], nums[-1], len(nums))
                last = nums.pop()
                print(last, nums)
                point = (3, 4)
                x, y = point
                print(x + y)
            """),
            expected_output="[1, 2, 3, 5] 1 5 4\n5 [1, 2, 3]\n7\n",
        ),
        CodeExample(
            title="Dictionaries and sets",
            code=block(r"""
                ages = {"ada": 36, "grace": 85}
                ages["linus"] = 54
                print(ages["ada"], ages.get("bob", "unknown"))
                for name, age in ages.items():
                    print(name, age)
                print(sorted(set([3, 1, 3, 2, 1])))
            """),
            expected_output="36 unknown\nada 36\ngrace 85\nlinus 54\n[1, 2, 3]\n",
        ),
    ),
    exercises=(
        Exercise(
            id="collections-b-1",
            prompt="Write `unique_sorted(items)` returning the distinct items in ascending order as a list.",
            starter_code=block(r"""
                def unique_sorted(items):
                    return items
            """),
            hints=("`set()` removes duplicates.", "`sorted()` returns a new list."),
            solution=block(r"""
                def unique_sorted(items):
                    return sorted(set(items))
            """),
            tests=block(r"""
                assert unique_sorted([3, 1, 3, 2]) == [1, 2, 3]
                assert unique_sorted([]) == []
                assert unique_sorted(["b", "a", "b"]) == ["a", "b"]
            """),
        ),
        Exercise(
            id="collections-b-2",
            prompt="Write `letter_counts(word)` returning a dict mapping each letter to how often it occurs.",
            starter_code=block(r"""
                def letter_counts(word):
                    counts = {}
                    return counts
            """),
            hints=("`counts[ch] = counts.get(ch, 0) + 1`",),
            solution=block(r"""
                def letter_counts(word):
                    counts = {}
                    for ch in word:
                        counts[ch] = counts.get(ch, 0) + 1
                    return counts
            """),
            tests=block(r"""
                assert letter_counts("banana") == {"b": 1, "a": 3, "n": 2}
                assert letter_counts("") == {}
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="collections-b-q1",
            question="What happens on `{'a': 1}['b']`?",
            choices=("Returns None", "Raises KeyError", "Returns 0", "Adds 'b'"),
            answer=1,
            explanation="Indexing a missing key raises KeyError; use `.get()` for a default.",
        ),
        QuizQuestion(
            id="collections-b-q2",
            question="Which collection cannot be changed after creation?",
            choices=("list", "dict", "tuple", "set"),
            answer=2,
            explanation="Tuples are immutable.",
        ),
        QuizQuestion(
            id="collections-b-q3",
            question="What is `len({1, 1, 2})`?",
            choices=("3", "2", "1"),
            answer=1,
            explanation="Sets keep only unique items.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "Choosing the right container",
            block("""
                Lists are great for ordered data but `x in list` scans every item; sets and dict keys use hashing for
                O(1) average lookups. Keys of dicts and items of sets must be *hashable* (immutable built-ins,
                tuples of hashables). Dicts preserve insertion order. Set algebra reads naturally: `a | b`,
                `a & b`, `a - b`, `a ^ b`.
            """),
        ),
        (
            "The collections module",
            block("""
                - `Counter` counts things: `Counter(words).most_common(3)`.
                - `defaultdict(list)` creates missing values on first access - ideal for grouping.
                - `deque` gives O(1) appends and pops at both ends (queues, sliding windows with `maxlen`).
                - `namedtuple` gives tuple records with named fields.

                Merge dicts with `a | b` (3.9+); the right-hand side wins on conflicts.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Counter and defaultdict",
            code=block(r"""
                from collections import Counter, defaultdict

                words = "the cat and the hat and the bat".split()
                print(Counter(words).most_common(2))
                by_length = defaultdict(list)
                for word in words:
                    by_length[len(word)].append(word)
                print(dict(by_length))
            """),
            expected_output=(
                "[('the', 3), ('and', 2)]\n{3: ['the', 'cat', 'and', 'the', 'hat', 'and', 'the', 'bat']}\n"
            ),
        ),
        CodeExample(
            title="Sets, deque and dict merging",
            code=block(r"""
                from collections import deque

                a, b = {1, 2, 3}, {2, 3, 4}
                print(sorted(a | b), sorted(a & b), sorted(a - b), sorted(a ^ b))
                recent = deque(maxlen=3)
                for page in ["home", "docs", "blog", "about"]:
                    recent.append(page)
                print(list(recent))
                defaults = {"theme": "light", "size": 12}
                print(defaults | {"theme": "dark"})
            """),
            expected_output=(
                "[1, 2, 3, 4] [2, 3] [1] [1, 4]\n['docs', 'blog', 'about']\n{'theme': 'dark', 'size': 12}\n"
            ),
        ),
    ),
    exercises=(
        Exercise(
            id="collections-i-1",
            prompt=(
                "Write `group_by_first_letter(words)` returning a dict of first letter -> list of words (in "
                "input order)."
            ),
            starter_code=block(r"""
                from collections import defaultdict

                def group_by_first_letter(words):
                    ...
            """),
            hints=("`defaultdict(list)` avoids checking for missing keys.", "Return a plain `dict`."),
            solution=block(r"""
                from collections import defaultdict

                def group_by_first_letter(words):
                    groups = defaultdict(list)
                    for word in words:
                        groups[word[0]].append(word)
                    return dict(groups)
            """),
            tests=block(r"""
                assert group_by_first_letter(["apple", "bob", "avocado"]) == {"a": ["apple", "avocado"], "b": ["bob"]}
                assert group_by_first_letter([]) == {}
            """),
        ),
        Exercise(
            id="collections-i-2",
            prompt="Write `top_words(text, n)` returning the `n` most common lowercase words as `(word, count)` pairs.",
            starter_code=block(r"""
                def top_words(text, n):
                    return []
            """),
            hints=("`collections.Counter` has `most_common(n)`.",),
            solution=block(r"""
                from collections import Counter

                def top_words(text, n):
                    return Counter(text.lower().split()).most_common(n)
            """),
            tests=block(r"""
                assert top_words("a b A c b a", 2) == [("a", 3), ("b", 2)]
                assert top_words("", 3) == []
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="collections-i-q1",
            question="Which can be a dict key?",
            choices=("[1, 2]", "{1, 2}", "(1, 2)", "{'a': 1}"),
            answer=2,
            explanation="Keys must be hashable; a tuple of ints is, lists/sets/dicts are not.",
        ),
        QuizQuestion(
            id="collections-i-q2",
            question="What is `{'a': 1, 'b': 2} | {'b': 3}`?",
            choices=("{'a': 1, 'b': 2}", "{'a': 1, 'b': 3}", "TypeError"),
            answer=1,
            explanation="In a dict merge the right operand wins.",
        ),
        QuizQuestion(
            id="collections-i-q3",
            question="Which structure gives O(1) pops from the left end?",
            choices=("list", "collections.deque", "tuple"),
            answer=1,
            explanation="`list.pop(0)` shifts every element; deque is designed for both ends.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Hashing, equality and identity",
            block("""
                Sets and dicts find items by `hash()` and then confirm with `==`. Objects that compare equal must
                have equal hashes - so `1`, `1.0` and `True` are the *same* key. Mutating an object after using it
                as a key breaks lookups, which is why mutable built-ins are unhashable. `frozenset` is the hashable
                set; `types.MappingProxyType` is a read-only view of a dict.
            """),
        ),
        (
            "Sorting, heaps and bisect",
            block("""
                `sorted(records, key=operator.itemgetter("age"))` sorts by a field; sorting is *stable*, so sort by
                the secondary key first, then the primary. `heapq.nsmallest/nlargest` and `heappush/heappop` give
                priority queues; `bisect.insort` keeps a list sorted and `bisect_left` finds insertion points in
                O(log n).
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Equal values share a key",
            code=block(r"""
                d = {1: "int"}
                d[1.0] = "float"
                d[True] = "bool"
                print(d)
                groups = {frozenset({"a", "b"}): "ab"}
                print(groups[frozenset({"b", "a"})])
                try:
                    {[1, 2]: "list"}
                except TypeError as exc:
                    print(exc)
            """),
            expected_output="{1: 'bool'}\nab\nunhashable type: 'list'\n",
        ),
        CodeExample(
            title="Stable sorts, heapq and bisect",
            code=block(r"""
                import bisect
                import heapq
                from operator import itemgetter

                people = [("bob", 30), ("ada", 25), ("cy", 30), ("di", 25)]
                people.sort(key=itemgetter(0))
                people.sort(key=itemgetter(1))
                print(people)
                print(heapq.nlargest(2, [5, 1, 9, 3]))
                scores = [10, 20, 30]
                bisect.insort(scores, 25)
                print(scores, bisect.bisect_left(scores, 20))
            """),
            expected_output=("[('ada', 25), ('di', 25), ('bob', 30), ('cy', 30)]\n[9, 5]\n[10, 20, 25, 30] 1\n"),
        ),
    ),
    exercises=(
        Exercise(
            id="collections-a-1",
            prompt=(
                "Write `k_smallest(items, k)` returning the `k` smallest items in ascending order without sorting "
                "the whole input (use `heapq`)."
            ),
            starter_code=block(r"""
                import heapq

                def k_smallest(items, k):
                    ...
            """),
            hints=("`heapq.nsmallest(k, items)` keeps only k items in memory.",),
            solution=block(r"""
                import heapq

                def k_smallest(items, k):
                    return heapq.nsmallest(k, items)
            """),
            tests=block(r"""
                assert k_smallest([5, 1, 4, 2, 3], 2) == [1, 2]
                assert k_smallest(iter(range(100, 0, -1)), 3) == [1, 2, 3]
                assert k_smallest([], 2) == []
            """),
        ),
        Exercise(
            id="collections-a-2",
            prompt=(
                "Write `anagram_groups(words)` returning a list of groups (lists) of words that are anagrams of each "
                "other, keeping first-seen order of both groups and words; ignore singletons."
            ),
            starter_code=block(r"""
                def anagram_groups(words):
                    return [words]
            """),
            hints=(
                "Use a hashable key that is equal for anagrams, e.g. `''.join(sorted(word))`.",
                "Dicts keep insertion order.",
            ),
            solution=block(r"""
                def anagram_groups(words):
                    groups: dict[str, list[str]] = {}
                    for word in words:
                        groups.setdefault("".join(sorted(word)), []).append(word)
                    return [group for group in groups.values() if len(group) > 1]
            """),
            tests=block(r"""
                words = ["listen", "google", "silent", "enlist", "elgoog", "cat"]
                assert anagram_groups(words) == [["listen", "silent", "enlist"], ["google", "elgoog"]]
                assert anagram_groups(["a", "b"]) == []
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="collections-a-q1",
            question="What is `len({1: 'a', 1.0: 'b', True: 'c'})`?",
            choices=("3", "2", "1"),
            answer=2,
            explanation="1, 1.0 and True are equal and hash equally, so they are one key.",
        ),
        QuizQuestion(
            id="collections-a-q2",
            question="To sort by age, then by name for equal ages, using two stable sorts you should:",
            choices=(
                "Sort by age, then by name",
                "Sort by name, then by age",
                "The order does not matter",
            ),
            answer=1,
            explanation="The last sort is the primary key; stability preserves the earlier order among ties.",
        ),
        QuizQuestion(
            id="collections-a-q3",
            question="Which is hashable?",
            choices=("set()", "frozenset()", "[]", "{}"),
            answer=1,
            explanation="frozenset is immutable and therefore hashable.",
        ),
    ),
)

TOPIC = Topic(
    slug="collections",
    title="Collections",
    summary="Store and organise data with lists, tuples, dicts, sets and the collections module.",
    prerequisites=("variables", "loops"),
    objectives=(
        "Use lists, tuples, dicts and sets",
        "Pick the right container for the job",
        "Count and group with Counter and defaultdict",
        "Understand hashing, stable sorting and heaps",
    ),
    estimated_minutes=50,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
