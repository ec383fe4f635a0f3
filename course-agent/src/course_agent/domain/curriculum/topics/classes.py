"""Classes: attributes, methods, dataclasses, inheritance, dunder methods, properties and protocols."""

from course_agent.domain.curriculum.model import CodeExample, Exercise, LevelContent, QuizQuestion, Topic, block

BEGINNER = LevelContent(
    sections=(
        (
            "Classes and instances",
            block("""
                A class is a blueprint; each object made from it is an *instance* with its own data.
                `__init__` initialises a new instance, and `self` is the instance the method works on:

                ```python
                class Dog:
                    def __init__(self, name):
                        self.name = name

                    def speak(self):
                        return f"{self.name} says woof"
                ```

                Create instances by calling the class: `rex = Dog("Rex")`, then `rex.speak()`.
            """),
        ),
        (
            "Attributes and methods",
            block("""
                Attributes set on `self` (instance attributes) belong to one object. Methods are functions defined in
                the class; Python passes the instance as `self` automatically. Methods can change the object's state,
                e.g. a `deposit` method that adds to `self.balance`. Class names use `CapWords`.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="A class with state",
            code=block(r"""
                class Counter:
                    def __init__(self, start=0):
                        self.value = start

                    def increment(self, by=1):
                        self.value += by
                        return self.value

                a = Counter()
                b = Counter(10)
                a.increment()
                a.increment()
                b.increment(5)
                print(a.value, b.value)
            """),
            expected_output="2 15\n",
        ),
        CodeExample(
            title="Methods use self",
            code=block(r"""
                class Dog:
                    def __init__(self, name):
                        self.name = name
                        self.tricks = []

                    def learn(self, trick):
                        self.tricks.append(trick)

                    def describe(self):
                        return f"{self.name} knows {', '.join(self.tricks) or 'nothing yet'}"

                rex, fido = Dog("Rex"), Dog("Fido")
                rex.learn("sit")
                rex.learn("roll")
                print(rex.describe())
                print(fido.describe())
            """),
            expected_output="Rex knows sit, roll\nFido knows nothing yet\n",
        ),
    ),
    exercises=(
        Exercise(
            id="classes-b-1",
            prompt=("Write a class `Rectangle(width, height)` with methods `area()` and `perimeter()`."),
            starter_code=block(r"""
                class Rectangle:
                    def __init__(self, width, height):
                        pass
            """),
            hints=("Store the arguments on `self` in `__init__`.",),
            solution=block(r"""
                class Rectangle:
                    def __init__(self, width, height):
                        self.width = width
                        self.height = height

                    def area(self):
                        return self.width * self.height

                    def perimeter(self):
                        return 2 * (self.width + self.height)
            """),
            tests=block(r"""
                r = Rectangle(3, 4)
                assert r.area() == 12
                assert r.perimeter() == 14
                assert Rectangle(1, 1).area() == 1
            """),
        ),
        Exercise(
            id="classes-b-2",
            prompt=(
                "Write a class `BankAccount(owner)` starting at balance 0 with `deposit(amount)` and "
                "`withdraw(amount)`; withdrawing more than the balance raises `ValueError`."
            ),
            starter_code=block(r"""
                class BankAccount:
                    def __init__(self, owner):
                        self.owner = owner
                        self.balance = 0

                    def deposit(self, amount):
                        ...

                    def withdraw(self, amount):
                        ...
            """),
            hints=("Check `amount > self.balance` before subtracting.",),
            solution=block(r"""
                class BankAccount:
                    def __init__(self, owner):
                        self.owner = owner
                        self.balance = 0

                    def deposit(self, amount):
                        self.balance += amount

                    def withdraw(self, amount):
                        if amount > self.balance:
                            raise ValueError("insufficient funds")
                        self.balance -= amount
            """),
            tests=block(r"""
                acct = BankAccount("ada")
                acct.deposit(100)
                acct.withdraw(30)
                assert acct.balance == 70
                try:
                    acct.withdraw(100)
                except ValueError:
                    pass
                else:
                    raise AssertionError("expected ValueError")
                assert acct.balance == 70
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="classes-b-q1",
            question="What is `self` in a method?",
            choices=("The class itself", "The instance the method was called on", "A keyword for globals"),
            answer=1,
            explanation="`obj.method()` passes `obj` as the first parameter, conventionally named self.",
        ),
        QuizQuestion(
            id="classes-b-q2",
            question="When does `__init__` run?",
            choices=("When the class is defined", "Each time an instance is created", "Only when called directly"),
            answer=1,
            explanation="Calling the class creates an instance and runs `__init__` on it.",
        ),
        QuizQuestion(
            id="classes-b-q3",
            question="Two Dog instances are created. Does `a.name = 'x'` change `b.name`?",
            choices=("Yes", "No", "Only if they have the same name"),
            answer=1,
            explanation="Instance attributes belong to one object.",
        ),
    ),
)

INTERMEDIATE = LevelContent(
    sections=(
        (
            "Dataclasses and dunder methods",
            block("""
                `@dataclass` writes `__init__`, `__repr__` and `__eq__` for you from annotated fields. Use
                `field(default_factory=list)` for mutable defaults, `frozen=True` for immutable value objects and
                `order=True` for comparisons. Hand-written classes customise behaviour through *dunder* methods:
                `__repr__` (developer view), `__str__` (user view), `__len__`, `__eq__`, `__add__`...
            """),
        ),
        (
            "Inheritance and properties",
            block("""
                A subclass `class Admin(User):` inherits methods and can override them; call the parent version
                with `super().method(...)`. Prefer composition when "is-a" doesn't really hold. `@property` exposes a
                computed or validated attribute while keeping attribute syntax; add a `.setter` to validate writes.
                `@classmethod` alternative constructors (`from_string`) receive the class as `cls`.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="A dataclass with a default factory",
            code=block(r"""
                from dataclasses import dataclass, field

                @dataclass
                class Order:
                    customer: str
                    items: list[str] = field(default_factory=list)
                    paid: bool = False

                a = Order("ada")
                a.items.append("book")
                print(a)
                print(Order("ada", ["book"]) == a, Order("bob").items)
            """),
            expected_output="Order(customer='ada', items=['book'], paid=False)\nTrue []\n",
        ),
        CodeExample(
            title="Inheritance, super() and properties",
            code=block(r"""
                class Shape:
                    def __init__(self, name: str) -> None:
                        self.name = name

                    def describe(self) -> str:
                        return f"{self.name} with area {self.area:.1f}"

                class Circle(Shape):
                    def __init__(self, radius: float) -> None:
                        super().__init__("circle")
                        self.radius = radius

                    @property
                    def radius(self) -> float:
                        return self._radius

                    @radius.setter
                    def radius(self, value: float) -> None:
                        if value < 0:
                            raise ValueError("radius must be >= 0")
                        self._radius = value

                    @property
                    def area(self) -> float:
                        return 3.14159 * self.radius**2

                c = Circle(2)
                print(c.describe(), isinstance(c, Shape))
                try:
                    c.radius = -1
                except ValueError as exc:
                    print(exc)
            """),
            expected_output="circle with area 12.6 True\nradius must be >= 0\n",
        ),
    ),
    exercises=(
        Exercise(
            id="classes-i-1",
            prompt=(
                "Write a class `Vector(x, y)` supporting `v + w`, `v * scalar`, equality, and "
                "`repr(v) == 'Vector(1, 2)'`."
            ),
            starter_code=block(r"""
                class Vector:
                    def __init__(self, x, y):
                        self.x = x
                        self.y = y
            """),
            hints=(
                "Implement `__add__`, `__mul__`, `__eq__` and `__repr__`.",
                "Return NotImplemented for other types.",
            ),
            solution=block(r"""
                class Vector:
                    def __init__(self, x, y):
                        self.x = x
                        self.y = y

                    def __add__(self, other):
                        if not isinstance(other, Vector):
                            return NotImplemented
                        return Vector(self.x + other.x, self.y + other.y)

                    def __mul__(self, scalar):
                        return Vector(self.x * scalar, self.y * scalar)

                    def __eq__(self, other):
                        if not isinstance(other, Vector):
                            return NotImplemented
                        return (self.x, self.y) == (other.x, other.y)

                    def __repr__(self):
                        return f"Vector({self.x!r}, {self.y!r})"
            """),
            tests=block(r"""
                assert Vector(1, 2) + Vector(3, 4) == Vector(4, 6)
                assert Vector(1, 2) * 3 == Vector(3, 6)
                assert repr(Vector(1, 2)) == "Vector(1, 2)"
                assert Vector(1, 2) != (1, 2)
            """),
        ),
        Exercise(
            id="classes-i-2",
            prompt=(
                "Write a `@dataclass(frozen=True, order=True)` class `Version(major, minor, patch)` with a "
                "classmethod `parse('1.2.3')`; versions must sort numerically."
            ),
            starter_code=block(r"""
                from dataclasses import dataclass

                @dataclass
                class Version:
                    major: int
                    minor: int
                    patch: int
            """),
            hints=("`order=True` compares fields in declaration order.", "`cls(*map(int, text.split('.')))`"),
            solution=block(r"""
                from dataclasses import dataclass

                @dataclass(frozen=True, order=True)
                class Version:
                    major: int
                    minor: int
                    patch: int

                    @classmethod
                    def parse(cls, text: str) -> "Version":
                        major, minor, patch = (int(part) for part in text.split("."))
                        return cls(major, minor, patch)
            """),
            tests=block(r"""
                assert Version.parse("1.2.3") == Version(1, 2, 3)
                assert Version.parse("1.10.0") > Version.parse("1.9.9")
                assert sorted(map(Version.parse, ["2.0.0", "1.0.10", "1.0.2"]))[0] == Version(1, 0, 2)
                assert len({Version(1, 0, 0), Version(1, 0, 0)}) == 1
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="classes-i-q1",
            question="Why use `field(default_factory=list)` instead of `= []` in a dataclass?",
            choices=(
                "It is shorter",
                "Each instance gets its own new list (dataclasses reject a bare [] default)",
                "It makes the field immutable",
            ),
            answer=1,
            explanation="A shared mutable default would be the mutable-default bug; dataclass raises ValueError.",
        ),
        QuizQuestion(
            id="classes-i-q2",
            question="Which method does the REPL use to display an object?",
            choices=("__str__", "__repr__", "__format__", "__display__"),
            answer=1,
            explanation="`repr()` is used for developer-facing display; `str()`/print use `__str__` if defined.",
        ),
        QuizQuestion(
            id="classes-i-q3",
            question="What does `super().__init__(...)` do in a subclass `__init__`?",
            choices=(
                "Creates a second object",
                "Runs the parent class initialiser on the same instance",
                "Copies the parent's attributes into the class",
            ),
            answer=1,
            explanation="It delegates to the next class in the method resolution order.",
        ),
    ),
)

ADVANCED = LevelContent(
    sections=(
        (
            "Protocols, ABCs and the data model",
            block("""
                Python is duck-typed: anything with the right methods works. `typing.Protocol` describes such
                structural interfaces for type checkers (add `@runtime_checkable` for `isinstance`).
                `abc.ABC` with `@abstractmethod` enforces that subclasses implement methods - instantiating an
                incomplete subclass raises `TypeError`. Implementing `__iter__`, `__len__`, `__getitem__`,
                `__contains__` or `__enter__`/`__exit__` plugs your objects into `for`, `len`, `in` and `with`.
            """),
        ),
        (
            "Slots, class attributes and the MRO",
            block("""
                Class attributes are shared by all instances - never use a mutable one for per-instance state.
                `__slots__` (or `@dataclass(slots=True)`) removes the per-instance `__dict__`, saving memory and
                catching typos in attribute names. With multiple inheritance Python linearises bases into the
                *method resolution order* (`Cls.__mro__`), and `super()` follows it cooperatively.
            """),
        ),
    ),
    examples=(
        CodeExample(
            title="Abstract base classes and protocols",
            code=block(r"""
                from abc import ABC, abstractmethod
                from typing import Protocol, runtime_checkable

                class Storage(ABC):
                    @abstractmethod
                    def save(self, key: str, value: str) -> None: ...

                class Broken(Storage):
                    pass

                class Memory(Storage):
                    def __init__(self) -> None:
                        self.data: dict[str, str] = {}

                    def save(self, key: str, value: str) -> None:
                        self.data[key] = value

                try:
                    Broken()
                except TypeError:
                    print("cannot instantiate Broken")

                @runtime_checkable
                class Sized(Protocol):
                    def __len__(self) -> int: ...

                print(isinstance(Memory(), Storage), isinstance([1], Sized), isinstance(3, Sized))
            """),
            expected_output="cannot instantiate Broken\nTrue True False\n",
        ),
        CodeExample(
            title="Slots and cooperative multiple inheritance",
            code=block(r"""
                class Point:
                    __slots__ = ("x", "y")

                    def __init__(self, x, y):
                        self.x, self.y = x, y

                p = Point(1, 2)
                try:
                    p.z = 3
                except AttributeError:
                    print("no attribute z allowed")

                class Base:
                    def hello(self):
                        return ["Base"]

                class A(Base):
                    def hello(self):
                        return ["A", *super().hello()]

                class B(Base):
                    def hello(self):
                        return ["B", *super().hello()]

                class C(A, B):
                    pass

                print(C().hello())
                print([cls.__name__ for cls in C.__mro__])
            """),
            expected_output=("no attribute z allowed\n['A', 'B', 'Base']\n['C', 'A', 'B', 'Base', 'object']\n"),
        ),
    ),
    exercises=(
        Exercise(
            id="classes-a-1",
            prompt=(
                "Write a class `Deck` holding cards `'2'`..`'10'`, `'J'`, `'Q'`, `'K'`, `'A'` (13 cards) that supports "
                "`len(deck)`, indexing `deck[0]`, slicing, iteration and `'A' in deck` via the data model."
            ),
            starter_code=block(r"""
                class Deck:
                    ranks = [str(n) for n in range(2, 11)] + list("JQKA")
            """),
            hints=("`__len__` and `__getitem__` are enough for iteration and `in` to work.",),
            solution=block(r"""
                class Deck:
                    ranks = [str(n) for n in range(2, 11)] + list("JQKA")

                    def __init__(self):
                        self._cards = list(self.ranks)

                    def __len__(self):
                        return len(self._cards)

                    def __getitem__(self, index):
                        return self._cards[index]
            """),
            tests=block(r"""
                deck = Deck()
                assert len(deck) == 13
                assert deck[0] == "2"
                assert deck[-1] == "A"
                assert deck[:3] == ["2", "3", "4"]
                assert "Q" in deck
                assert list(deck)[9] == "J"
            """),
        ),
        Exercise(
            id="classes-a-2",
            prompt=(
                "Write an abstract class `Shape(ABC)` with an abstract `area()` and a concrete `describe()` returning "
                "`f'{type(self).__name__} {self.area():.2f}'`, plus a `Square(side)` subclass. `Shape()` must raise "
                "TypeError."
            ),
            starter_code=block(r"""
                class Shape:
                    def area(self):
                        return 0

                    def describe(self):
                        return f"{type(self).__name__} {self.area():.2f}"

                class Square(Shape):
                    def __init__(self, side):
                        self.side = side
            """),
            hints=("Inherit from `abc.ABC` and decorate `area` with `@abstractmethod`.",),
            solution=block(r"""
                from abc import ABC, abstractmethod

                class Shape(ABC):
                    @abstractmethod
                    def area(self) -> float: ...

                    def describe(self) -> str:
                        return f"{type(self).__name__} {self.area():.2f}"

                class Square(Shape):
                    def __init__(self, side: float) -> None:
                        self.side = side

                    def area(self) -> float:
                        return self.side**2
            """),
            tests=block(r"""
                assert Square(1.5).describe() == "Square 2.25"
                try:
                    Shape()
                except TypeError:
                    pass
                else:
                    raise AssertionError("Shape must be abstract")
            """),
        ),
    ),
    quiz=(
        QuizQuestion(
            id="classes-a-q1",
            question=(
                "What happens when you instantiate a subclass of an ABC that hasn't implemented an abstract method?"
            ),
            choices=("It works; calling the method raises", "TypeError at instantiation", "A warning is printed"),
            answer=1,
            explanation="ABCMeta refuses to instantiate classes with remaining abstract methods.",
        ),
        QuizQuestion(
            id="classes-a-q2",
            question="What does `__slots__` prevent?",
            choices=(
                "Inheritance",
                "Adding attributes not listed in __slots__ (there is no per-instance __dict__)",
                "Defining methods",
            ),
            answer=1,
            explanation="Slots reserve fixed storage for named attributes only.",
        ),
        QuizQuestion(
            id="classes-a-q3",
            question="`typing.Protocol` checks compatibility by...",
            choices=("Explicit inheritance", "Structure: having the required methods/attributes", "Class name"),
            answer=1,
            explanation="Protocols provide static duck typing (structural subtyping).",
        ),
    ),
)

TOPIC = Topic(
    slug="classes",
    title="Classes and Objects",
    summary="Model data and behaviour with classes, dataclasses, inheritance, properties and the data model.",
    prerequisites=("functions", "collections"),
    objectives=(
        "Define classes with __init__, attributes and methods",
        "Use dataclasses and dunder methods",
        "Apply inheritance, super() and properties",
        "Use ABCs, protocols, slots and understand the MRO",
    ),
    estimated_minutes=60,
    levels={"beginner": BEGINNER, "intermediate": INTERMEDIATE, "advanced": ADVANCED},
)
