"""The Python concepts a lesson can use, and which of them a piece of source code uses.

The vocabulary is syntax a learner must have been taught before they can read code that has it (``def``,
``for``, a ``dict`` display, a comprehension ...). Plain names, calls, arithmetic and comparisons are
not in it: every lesson may use them. Pure: :func:`concepts_in` only parses, it never runs the code.
"""

from __future__ import annotations

import ast
from typing import Final, Literal, get_args

Concept = Literal[
    "assert",
    "f-string",
    "indexing",
    "if",
    "match",
    "for",
    "while",
    "break-continue",
    "def",
    "return",
    "lambda",
    "star-args",
    "scope",
    "decorator",
    "tuple",
    "unpacking",
    "list",
    "dict",
    "set",
    "comprehension",
    "generator-expression",
    "try",
    "raise",
    "with",
    "class",
    "exception-class",
    "yield",
    "async",
    "import",
    "walrus",
    "type-hints",
]

CONCEPTS: Final[tuple[Concept, ...]] = get_args(Concept)

_BY_NODE: Final[dict[type[ast.AST], Concept]] = {
    ast.Assert: "assert",
    ast.JoinedStr: "f-string",
    ast.Subscript: "indexing",
    ast.If: "if",
    ast.IfExp: "if",
    ast.Match: "match",
    ast.For: "for",
    ast.While: "while",
    ast.Break: "break-continue",
    ast.Continue: "break-continue",
    ast.FunctionDef: "def",
    ast.Return: "return",
    ast.Lambda: "lambda",
    ast.Global: "scope",
    ast.Nonlocal: "scope",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.ListComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.GeneratorExp: "generator-expression",
    ast.Try: "try",
    ast.TryStar: "try",
    ast.Raise: "raise",
    ast.With: "with",
    ast.ClassDef: "class",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.AsyncFunctionDef: "async",
    ast.AsyncFor: "async",
    ast.AsyncWith: "async",
    ast.Await: "async",
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.NamedExpr: "walrus",
    ast.AnnAssign: "type-hints",
}


def concepts_in(source: str) -> frozenset[Concept]:
    """The concepts Python ``source`` uses; raises ``SyntaxError`` if it is not valid Python.

    Annotations count as ``type-hints`` only: ``list[str]`` in a hint is not indexing. A class statement
    whose body is only ``pass``, ``...`` or a docstring is an ``exception-class`` (how errors defines its
    own exceptions before classes are taught), any other is a ``class``.
    """
    found: set[Concept] = set()
    _visit(ast.parse(source), found)
    return frozenset(found)


def _is_filler(statement: ast.stmt) -> bool:
    """``pass``, ``...`` or a docstring: a class made of these only names its base (``class Oops(Exception): pass``)."""
    return isinstance(statement, ast.Pass) or (
        isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
    )


def _visit(node: ast.AST, found: set[Concept]) -> None:
    concept = _BY_NODE.get(type(node))
    if isinstance(node, ast.ClassDef) and node.bases and all(_is_filler(s) for s in node.body):
        concept = "exception-class"
    if concept is not None:
        found.add(concept)
    if isinstance(node, ast.Tuple | ast.List | ast.Starred):
        if isinstance(node.ctx, ast.Store):
            found.add("unpacking")
        elif not isinstance(node, ast.Starred):
            found.add("tuple" if isinstance(node, ast.Tuple) else "list")
    annotations: list[ast.expr | None] = []
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        arguments = node.args
        if arguments.vararg is not None or arguments.kwarg is not None:
            found.add("star-args")
        if not isinstance(node, ast.Lambda):
            if node.decorator_list:
                found.add("decorator")
            annotations.append(node.returns)
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            annotations.extend(a.annotation for a in every if a is not None)
    if isinstance(node, ast.AnnAssign):
        annotations.append(node.annotation)
    if any(a is not None for a in annotations):
        found.add("type-hints")
    skipped = {id(a) for a in annotations if a is not None}
    for child in ast.iter_child_nodes(node):
        if id(child) not in skipped and not isinstance(child, ast.arg):
            _visit(child, found)
