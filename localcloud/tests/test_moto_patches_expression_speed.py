"""Update expressions validated the cheap way give moto's own results: the same items, the same
errors, the same copied trees, for every kind of action and every check that can fail."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.parsing import ast_nodes, validators
from moto.dynamodb.parsing import expressions as update_expressions

from localcloud.moto_patches import expression_speed, speed

_Node: Any = vars(ast_nodes)["Node"]
# moto's parser module carries no type information: its class is read from the module's namespace.
_UpdateExpressionParser: Any = vars(update_expressions)["UpdateExpressionParser"]

TABLE = "updates"
KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}
START: dict[str, Any] = {
    **KEY,
    "n": {"N": "5"},
    "s": {"S": "text"},
    "tags": {"SS": ["x", "y"]},
    "seen": {"L": [{"S": "one"}, {"N": "2"}]},
    "map": {"M": {"nest": {"M": {"deep": {"S": "d"}}}, "count": {"N": "1"}}},
    "status": {"S": "accepted"},
}

# (UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues): each kind of action,
# functions, nested paths and list indexes, then each check that fails (some twice: a failure is
# never remembered as a pass).
UPDATES: list[tuple[str, dict[str, str] | None, dict[str, Any] | None]] = [
    ("SET #status = :p, processed_at = :at", {"#status": "status"}, {":p": {"S": "processed"}, ":at": {"S": "t"}}),
    ("SET #status = :p, processed_at = :at", {"#status": "status"}, {":p": {"S": "again"}, ":at": {"S": "t2"}}),
    ("SET n = n + :one, s = if_not_exists(absent, :d)", None, {":one": {"N": "1"}, ":d": {"S": "dflt"}}),
    ("SET received_at = if_not_exists(received_at, :now)", None, {":now": {"S": "first"}}),
    ("SET received_at = if_not_exists(received_at, :now)", None, {":now": {"S": "second"}}),
    (
        "SET seen = list_append(seen, :more), #m.nest.deep = :v",
        {"#m": "map"},
        {":more": {"L": [{"S": "3"}]}, ":v": {"S": "e"}},
    ),
    ("SET seen[0] = :v, #m.#c = #m.#c - :one", {"#c": "count", "#m": "map"}, {":v": {"S": "zero"}, ":one": {"N": "1"}}),
    ("ADD n :two, tags :t", None, {":two": {"N": "2"}, ":t": {"SS": ["z"]}}),
    ("DELETE tags :t", None, {":t": {"SS": ["x"]}}),
    ("REMOVE processed_at, seen[1] SET s = :s", None, {":s": {"S": "after"}}),
    ("SET a = :a SET b = :b", None, {":a": {"S": "1"}, ":b": {"S": "2"}}),
    ("SET a = :a SET b = :b", None, {":a": {"S": "1"}, ":b": {"S": "2"}}),
    ("REMOVE a REMOVE b", None, None),
    ("SET #m = :m, #m.nest = :m", {"#m": "map"}, {":m": {"M": {}}}),
    ("SET #a = :v, #b = :v", {"#a": "same", "#b": "same"}, {":v": {"S": "v"}}),
    ("SET sk = :v", None, {":v": {"N": "2"}}),
    ("SET #k = :v", {"#k": "pk"}, {":v": {"S": "b"}}),
    ("SET #k = :v", {"#k": "pk"}, {":v": {"S": "b"}}),
    ("SET #k = :v", {"#k": "plain"}, {":v": {"S": "not a key with these names"}}),
    ("SET s = :absent", None, None),
    ("SET s = #absent", None, None),
    ("ADD s :one", None, {":one": {"N": "1"}}),
    ("SET n = s + :one", None, {":one": {"N": "1"}}),
    ("SET nowhere.deeper = :v", None, {":v": {"S": "x"}}),
    ("SET blank = :e", None, {":e": {"S": ""}}),
]


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


def _run(dynamodb: Any) -> list[Any]:
    """Each update's outcome (the item after it, or the error), then a new item made by an update."""
    dynamodb.put_item(TableName=TABLE, Item=START)
    outcomes: list[Any] = []
    for expression, names, values in UPDATES:
        request: dict[str, Any] = {"TableName": TABLE, "Key": KEY, "UpdateExpression": expression}
        if names:
            request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            dynamodb.update_item(**request)
        except ClientError as error:
            outcomes.append((expression, error.response["Error"]["Code"], error.response["Error"]["Message"]))
        else:
            outcomes.append((expression, dynamodb.get_item(TableName=TABLE, Key=KEY)["Item"]))
    created = {"pk": {"S": "new"}, "sk": {"N": "9"}}
    dynamodb.update_item(
        TableName=TABLE,
        Key=created,
        UpdateExpression="SET c = if_not_exists(c, :z)",
        ExpressionAttributeValues={":z": {"N": "0"}},
    )
    outcomes.append(dynamodb.get_item(TableName=TABLE, Key=created)["Item"])
    dynamodb.delete_item(TableName=TABLE, Key=created)
    return outcomes


def _with_motos_own(monkeypatch: pytest.MonkeyPatch) -> None:
    traverser: Any = vars(ast_nodes)["DepthFirstTraverser"]
    validator: Any = vars(validators)["Validator"]
    monkeypatch.setattr(validators, "deepcopy", copy.deepcopy)
    monkeypatch.setattr(traverser, "traverse", traverser.traverse.__wrapped__)
    monkeypatch.setattr(validator, "__init__", validator.__init__.__wrapped__)
    monkeypatch.setattr(validator, "validate", validator.validate.__wrapped__)


def test_updates_have_motos_outcomes(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    speed.apply()  # parses cached by string, as in the local cloud
    expression_speed.apply()
    fast = _run(table)
    fast_again = _run(table)  # now every check that passed is remembered

    with monkeypatch.context() as moto_only:
        _with_motos_own(moto_only)
        own = _run(table)

    assert fast == own
    assert fast_again == own
    errors = [outcome for outcome in own if isinstance(outcome, tuple) and len(outcome) == 3]
    assert len(errors) == 12  # every failing check failed, each time


def _same_tree(copied: Any, original: Any, pairs: dict[int, Any]) -> None:
    """Structurally equal, nothing shared, and every reference (a parent too) mapped to its copy."""
    assert type(copied) is type(original)
    if isinstance(original, str | int) or original is None:  # immutable: deepcopy shares them too
        assert copied == original
        return
    if id(original) in pairs:
        assert pairs[id(original)] is copied
        return
    assert copied is not original
    pairs[id(original)] = copied
    members = vars(original) if isinstance(original, _Node) else dict(enumerate(original))
    copied_members = vars(copied) if isinstance(original, _Node) else dict(enumerate(copied))
    assert copied_members.keys() == members.keys()
    for name, member in members.items():
        _same_tree(copied_members[name], member, pairs)


@pytest.mark.parametrize(
    "expression", sorted({expression for expression, _, _ in UPDATES if "SET a" not in expression})
)
def test_a_parsed_expression_is_copied_as_deepcopy_copies_it(expression: str) -> None:
    parsed = _UpdateExpressionParser.make(expression)
    # The parser links parents: the walk reaches most nodes twice (as a child, as a parent).
    theirs = copy.deepcopy(parsed)
    ours = expression_speed._deepcopy(parsed)

    _same_tree(ours, parsed, {})
    _same_tree(theirs, parsed, {})
    # Anything else is deepcopy's.
    other = {"values": [{"S": "x"}]}
    assert expression_speed._deepcopy(other) == other
    assert expression_speed._deepcopy(other) is not other


CONDITIONS: list[tuple[str, dict[str, str] | None, dict[str, Any] | None]] = [
    ("attribute_not_exists(pk)", None, None),
    ("attribute_not_exists(pk) OR expires_at < :now", None, {":now": {"N": "10"}}),
    ("#status = :accepted AND id = :id", {"#status": "status"}, {":accepted": {"S": "accepted"}, ":id": {"S": "x"}}),
    (
        "#status = :p AND (NOT begins_with(#type, :alert) OR attribute_exists(notified_at))",
        {"#status": "status", "#type": "type"},
        {":p": {"S": "accepted"}, ":alert": {"S": "alert."}},
    ),
    ("size(tags) > :n AND n BETWEEN :lo AND :hi", None, {":n": {"N": "1"}, ":lo": {"N": "0"}, ":hi": {"N": "9"}}),
    (
        "s IN (:a, :b) AND #m.nest.deep = :d",
        {"#m": "map"},
        {":a": {"S": "text"}, ":b": {"S": "b"}, ":d": {"S": "d"}},
    ),
    ("contains(tags, :x) AND attribute_type(n, :t)", None, {":x": {"S": "x"}, ":t": {"S": "N"}}),
    ("n = :absent", None, {":other": {"N": "1"}}),
    ("#absent = :v", None, {":v": {"N": "1"}}),
    ("n === :v", None, {":v": {"N": "1"}}),
    ("n = :v AND", None, {":v": {"N": "1"}}),
    ("((n = :v))", None, {":v": {"N": "1"}}),
]


def _conditions() -> list[Any]:
    """Each condition parsed (twice) and evaluated on an item, or the error it raised."""
    item = Item(DynamoType(START["pk"]), DynamoType(START["sk"]), START)
    outcomes: list[Any] = []
    for expression, names, values in CONDITIONS * 2:
        parser = ConditionExpressionParser(expression, names, values)
        try:
            op = parser.parse()
            outcomes.append((repr(op), op.expr(item), parser.expr_attr_names_found, parser.expr_attr_values_found))
        except Exception as error:  # every error, whatever its kind, compared with moto's
            outcomes.append((type(error).__name__, str(error)))
    return outcomes


def test_conditions_parse_and_evaluate_as_motos(monkeypatch: pytest.MonkeyPatch) -> None:
    expression_speed.apply()
    fast = _conditions()

    with monkeypatch.context() as moto_only:
        lexer = ConditionExpressionParser._lex_condition_expression
        moto_only.setattr(ConditionExpressionParser, "_lex_condition_expression", lexer.__wrapped__)  # type: ignore[attr-defined]
        own = _conditions()

    assert fast == own
    assert sum(1 for outcome in own if len(outcome) == 2) == 10  # five expressions fail, each time
