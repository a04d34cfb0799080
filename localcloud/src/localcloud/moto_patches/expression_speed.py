"""moto's DynamoDB expression handling made cheap, with the same results.

Every UpdateItem (and every Update of a transaction) has moto validate its update expression:
a deep copy of the parsed tree, then ten processors that each walk the whole tree. Under load
that was a sixth of the local cloud's time, more than the writes themselves:

- The copy goes through ``copy.deepcopy``, object by object through the pickle protocol. A parsed
  update expression holds only its nodes (plain objects), their lists of children and strings;
  those are copied here directly, with deepcopy's memo (so a node reached twice, as a parent and
  as a child, is copied once) and deepcopy itself for anything else.
- Each walk asks the processor for its map of node classes to handlers at every node (a new
  dict each time), and checks every node against those classes with ``isinstance`` on moto's
  abstract classes. The map is built once per walk here, and which handler a node's class gets
  is remembered per set of classes; the walk itself (order, hooks, replacements) is moto's.
- Three of the processors only check: too many clauses of one kind, overlapping paths, a key
  attribute being updated. They raise or hand back the tree untouched, and what they decide
  depends on the expression's text, its attribute names and the table's key attributes alone,
  never on the item or the values. ``ActionCountValidator`` also searches the tree again from
  every one of its nested ``UpdateExpression`` nodes (the square of the number of actions). A
  check that passed is remembered on the parsed (cached) expression for those names and keys
  and skipped for the next update with the same ones; a check that fails runs, and raises, every
  time.

Every condition, key condition and filter expression is lexed again on each request: one regular
expression after another tried at every position, a list of eight compiled patterns built per
token. The tokens depend on the expression's text alone and are never changed afterwards (tuples
with empty child lists; later stages build new nodes), so each text is lexed once and its tokens
shared; the names and values are looked up per request after lexing, as before.
"""

from __future__ import annotations

import copy
import functools
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing import ast_nodes, validators

# moto's parsing modules carry no type information: their classes are read from the namespaces.
_Node: Any = vars(ast_nodes)["Node"]
_DepthFirstTraverser: Any = vars(ast_nodes)["DepthFirstTraverser"]
_Validator: Any = vars(validators)["Validator"]
_STATIC_CHECKS: tuple[Any, ...] = (
    vars(validators)["ActionCountValidator"],
    vars(validators)["OverlappingPathsValidator"],
    vars(validators)["UpdateHashRangeKeyValidator"],
)
# For each parsed (cached) expression: the checks it passed, with which names and keys. Weak: an
# expression the parse cache drops takes its entry with it.
_passed: weakref.WeakKeyDictionary[Any, set[tuple[Any, ...]]] = weakref.WeakKeyDictionary()
_passed_lock = threading.Lock()

# -- the copy -----------------------------------------------------------------------------


def _copy_tree(value: Any, memo: dict[int, Any]) -> Any:
    """``copy.deepcopy(value, memo)`` for a parsed update expression, without the pickle protocol."""
    kind: Any = type(value)
    if kind is str or value is None:
        return value
    known = memo.get(id(value), memo)
    if known is not memo:
        return known
    if kind is list:
        copied_list: list[Any] = []
        memo[id(value)] = copied_list
        copied_list.extend(_copy_tree(member, memo) for member in value)
        return copied_list
    if _copied_by_state(kind):
        # What deepcopy does for a plain object: a bare instance, then its attributes copied.
        node = kind.__new__(kind)
        memo[id(value)] = node
        node.__dict__.update({name: _copy_tree(member, memo) for name, member in value.__dict__.items()})
        return node
    return copy.deepcopy(value, memo)


_by_state: dict[type, bool] = {}


def _copied_by_state(kind: type) -> bool:
    """Whether this is a node class and deepcopy copies this class's instances as a bare instance plus their attributes:
    no copy or pickle hooks of its own, no slots (moto's nodes have none)."""
    known = _by_state.get(kind)
    if known is None:
        cls: Any = kind  # compared as plain attributes: typeshed types object's methods otherwise
        known = (
            issubclass(kind, _Node)
            and not hasattr(cls, "__deepcopy__")
            and cls.__reduce_ex__ is object.__reduce_ex__
            and cls.__reduce__ is object.__reduce__
            and cls.__getstate__ is object.__getstate__
            and not hasattr(cls, "__setstate__")
            and not any("__slots__" in vars(base) for base in kind.__mro__)
        )
        _by_state[kind] = known
    return known


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """The validators module's ``deepcopy``: trees of nodes copied directly, anything else by copy.deepcopy."""
    if not isinstance(value, _Node):
        return copy.deepcopy(value, memo)
    return _copy_tree(value, {} if memo is None else memo)


# -- the walks ----------------------------------------------------------------------------

# For each set of handled classes (in the processor's order): each class met in a walk, whether it
# is a node and the handled class it is an instance of first (None for none).
_handled_as: dict[tuple[type, ...], dict[type, tuple[bool, type | None]]] = {}


def _traverse(self: Any, node: Any) -> Any:
    """``DepthFirstTraverser.traverse``: moto's depth-first walk, its map read once."""
    handlers: dict[type, Callable[[Any], Any]] = self._processing_map()
    handled = tuple(handlers)
    classes = _handled_as.setdefault(handled, {})
    before_child = self.pre_processing_of_child

    def visit(current: Any, child_id: int) -> Any:
        kind = type(current)
        if kind not in classes:
            is_node = issubclass(kind, _Node)
            classes[kind] = (is_node, next((c for c in handled if is_node and issubclass(kind, c)), None))
        is_node, handler_class = classes[kind]
        if is_node:
            parent = current.parent
            if current.children is not None:
                for index, child in enumerate(current.children):
                    before_child(current, index)
                    visit(child, index)
            if handler_class is not None:
                current = handlers[handler_class](current)
                current.parent = parent
                if parent:
                    parent.children[child_id] = current
        return current

    return visit(node, -1)


# -- the checks that depend on the expression alone -------------------------------------------


def _remembering_init(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        original(self, expression, *args, **kwargs)
        self._localcloud_parsed = expression

    return __init__


def _check_key(self: Any, check: Any) -> tuple[Any, ...]:
    names = self.expression_attribute_names
    return (
        type(check),
        tuple(sorted(names.items())) if names else (),
        tuple(self.table.table_key_attrs),
    )


def _validate(self: Any) -> Any:
    """``Validator.validate``: moto's processors in moto's order, a check already passed skipped."""
    parsed = vars(self).get("_localcloud_parsed")
    passed: set[tuple[Any, ...]] | None = None
    if parsed is not None:
        with _passed_lock:
            passed = _passed.setdefault(parsed, set())
    node = self.node_to_validate
    for processor in self.processors:
        if passed is not None and isinstance(processor, _STATIC_CHECKS):
            key = _check_key(self, processor)
            if key in passed:
                continue
            node = processor.traverse(node)
            passed.add(key)
        else:
            node = processor.traverse(node)
    return node


# -- condition expressions ----------------------------------------------------------------


def _lexed_once(original: Callable[[ConditionExpressionParser], deque[Any]]) -> Callable[..., deque[Any]]:
    @functools.lru_cache(maxsize=4096)
    def tokens(expression: str) -> tuple[Any, ...]:
        return tuple(original(ConditionExpressionParser(expression, None, None)))

    @functools.wraps(original)
    def _lex_condition_expression(self: ConditionExpressionParser) -> deque[Any]:
        expression = self.condition_expression
        if not isinstance(expression, str):
            return original(self)
        return deque(tokens(expression))  # a new deque: the parser consumes it

    return _lex_condition_expression


_applied = threading.Lock()


def apply() -> None:
    """Install them once per process, whoever asks."""
    if not _applied.acquire(blocking=False):
        return
    # The module's own name for copy.deepcopy, called by Validator.__init__ on the parsed tree (ours
    # takes no third argument, which moto never passes). moto's stubs do not declare that name.
    validators.deepcopy = _deepcopy  # type: ignore[attr-defined,assignment]  # replacing the name is the patch
    _DepthFirstTraverser.traverse = functools.wraps(_DepthFirstTraverser.traverse)(_traverse)
    _Validator.__init__ = _remembering_init(_Validator.__init__)
    _Validator.validate = functools.wraps(_Validator.validate)(_validate)
    # Replacing moto's method on its class is the patch (the ignore says so to the type checker).
    ConditionExpressionParser._lex_condition_expression = _lexed_once(  # type: ignore[method-assign]  # the patch
        ConditionExpressionParser._lex_condition_expression
    )
