"""Evaluate a Terraform root's configuration as far as it goes without a provider.

A root (``terraform/envs/<env>``) and the modules it calls are read with ``hcl``; its input
variables come from its ``terraform.tfvars`` and their defaults. Everything a provider would
compute (an ARN, an id) stays unknown, but *which* resource it belongs to is kept: a reference to
``aws_sqs_queue.this["standard"].arn`` evaluates to a ``Reference`` naming that instance, and what
is built from references (a JSON policy, a joined list) becomes an ``Unknown`` that still carries
them. That is what the diagram needs: which resource instance each flow resource connects,
through the module calls, locals, ``for_each`` maps and for-expressions that wire them, with
``for_each`` keys and names known wherever the configuration makes them constant.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tooling.docs import hcl


@dataclass(frozen=True, order=True)
class Instance:
    """One resource instance: its module path (call names from the root), type, name and key."""

    module: tuple[str, ...]
    type: str
    name: str
    key: str | int | None = None

    def address(self) -> str:
        prefix = "".join(f"module.{call}." for call in self.module)
        key = "" if self.key is None else f"[{json.dumps(self.key)}]"
        return f"{prefix}{self.type}.{self.name}{key}"


@dataclass(frozen=True)
class Reference:
    """A resource instance (or all instances, ``key`` None), or one attribute of it."""

    instance: Instance
    attribute: str | None = None


@dataclass(frozen=True)
class Unknown:
    """A value only the provider knows, with the resources it was computed from."""

    references: frozenset[Reference] = frozenset()


def references(value: Any) -> frozenset[Reference]:
    """Every resource a value refers to, however deep in lists, maps and unknowns."""
    if isinstance(value, Reference):
        return frozenset({value})
    if isinstance(value, Unknown):
        return value.references
    if isinstance(value, dict):
        return frozenset().union(*(references(v) for v in value.values()))
    if isinstance(value, list):
        return frozenset().union(*(references(v) for v in value))
    return frozenset()


def _unknown(*values: Any) -> Unknown:
    return Unknown(frozenset().union(*(references(v) for v in values)))


@dataclass
class Module:
    """One module instance: its configuration, and how its caller sets its variables."""

    path: tuple[str, ...]
    directory: Path
    body: hcl.Body
    parent: Module | None = None
    arguments: dict[str, hcl.Expr] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)  # the root's tfvars, already values
    locals: dict[str, hcl.Expr] = field(default_factory=dict)
    variables: dict[str, hcl.Body] = field(default_factory=dict)
    outputs: dict[str, hcl.Expr] = field(default_factory=dict)
    resources: dict[tuple[str, str], hcl.Body] = field(default_factory=dict)
    calls: dict[str, hcl.Block] = field(default_factory=dict)
    children: dict[str, Module] = field(default_factory=dict)
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for block in self.body.blocks:
            if block.kind == "locals":
                self.locals.update(block.body.attributes)
            elif block.kind == "variable":
                self.variables[block.labels[0]] = block.body
            elif block.kind == "output":
                self.outputs[block.labels[0]] = block.body.attributes["value"]
            elif block.kind == "resource":
                self.resources[(block.labels[0], block.labels[1])] = block.body
            elif block.kind == "module":
                self.calls[block.labels[0]] = block

    def child(self, name: str) -> Module:
        if name not in self.children:
            call = self.calls[name].body
            source = call.attributes["source"]
            if not isinstance(source, hcl.Literal) or not str(source.value).startswith("."):
                raise hcl.HclError(f"module {name}: only local module sources are read")
            directory = (self.directory / str(source.value)).resolve()
            arguments = {k: v for k, v in call.attributes.items() if k not in ("source", "count", "for_each")}
            self.children[name] = Module((*self.path, name), directory, hcl.parse_directory(directory), self, arguments)
        return self.children[name]

    def modules(self) -> Iterator[Module]:
        """This module and every module under it, calls in name order."""
        yield self
        for name in sorted(self.calls):
            yield from self.child(name).modules()


@dataclass(frozen=True)
class ModuleOutputs:
    module: Module


@dataclass(frozen=True)
class _Each:
    key: Any
    value: Any


def load_root(directory: Path) -> Module:
    """A root module with its ``terraform.tfvars`` (if any) as the values of its variables."""
    root = Module((), directory.resolve(), hcl.parse_directory(directory))
    tfvars = directory / "terraform.tfvars"
    if tfvars.is_file():
        context = Context(root)
        root.inputs = {k: context.value(v) for k, v in hcl.parse(tfvars.read_text()).attributes.items()}
    return root


class Context:
    """Evaluation inside one module, with the names a for-expression or ``for_each`` binds."""

    def __init__(self, module: Module, names: dict[str, Any] | None = None, each: _Each | None = None) -> None:
        self.module = module
        self.names = names or {}
        self.each = each

    def bind(self, **names: Any) -> Context:
        return Context(self.module, {**self.names, **names}, self.each)

    # -- module scope

    def local(self, name: str) -> Any:
        return _memo(self.module, ("local", name), lambda: Context(self.module).value(self.module.locals[name]))

    def variable(self, name: str) -> Any:
        module = self.module

        def compute() -> Any:
            declared = module.variables.get(name, hcl.Body())
            default = declared.attributes.get("default")
            nullable = declared.attributes.get("nullable")
            if module.parent is None:
                value = module.inputs.get(name)
            elif name in module.arguments:
                value = Context(module.parent).value(module.arguments[name])
            else:
                value = None
                nullable = hcl.Literal(False)
            if value is None and isinstance(nullable, hcl.Literal) and nullable.value is False and default:
                return Context(module).value(default)
            if value is None and module.parent is None and default:
                return Context(module).value(default)
            return value

        return _memo(module, ("var", name), compute)

    def output(self, module: Module, name: str) -> Any:
        return _memo(module, ("output", name), lambda: Context(module).value(module.outputs[name]))

    def instances(self, module: Module, kind: str, name: str) -> dict[Any, Any]:
        """A resource's instances: ``for_each`` key -> ``each.value`` (one instance, key None, without)."""

        def compute() -> dict[Any, Any]:
            body = module.resources[(kind, name)]
            if "for_each" in body.attributes:
                each = Context(module).value(body.attributes["for_each"])
                if isinstance(each, dict):
                    return dict(each)
                if isinstance(each, list):
                    return {item: item for item in each if isinstance(item, str)}
                return {}
            if "count" in body.attributes:
                count = Context(module).value(body.attributes["count"])
                return {index: index for index in range(count)} if isinstance(count, int) else {}
            return {None: None}

        result: dict[Any, Any] = _memo(module, ("instances", kind, name), compute)
        return result

    def attribute(self, instance: Instance, path: str) -> Any:
        """An attribute of a resource instance, evaluated; ``a.b`` reads ``b`` of nested block ``a``.

        A nested block may be ``dynamic``: then the value is the list of ``b`` in each block it makes.
        """
        module = self._module_of(instance)
        each_value = self.instances(module, instance.type, instance.name).get(instance.key)
        scopes = [
            (module.resources[(instance.type, instance.name)], Context(module, each=_Each(instance.key, each_value)))
        ]
        *blocks, last = path.split(".")
        dynamic = False
        for name in blocks:
            inner: list[tuple[hcl.Body, Context]] = []
            for body, context in scopes:
                inner += [(block.body, context) for block in body.blocks_of(name)]
                for block in body.blocks_of("dynamic"):
                    if block.labels != (name,) or not block.body.blocks_of("content"):
                        continue
                    dynamic = True
                    iterator = block.body.attributes.get("iterator")
                    variable = iterator.name if isinstance(iterator, hcl.Variable) else name
                    items = context.expand(context.value(block.body.attributes.get("for_each", hcl.TupleExpr(()))))
                    pairs = (
                        items.items()
                        if isinstance(items, dict)
                        else enumerate(items)
                        if isinstance(items, list)
                        else []
                    )
                    content = block.body.blocks_of("content")[0].body
                    inner += [(content, context.bind(**{variable: {"key": k, "value": v}})) for k, v in pairs]
            scopes = inner
        values = [context.value(body.attributes[last]) for body, context in scopes if last in body.attributes]
        if dynamic:
            return values
        return values[0] if values else None

    # -- expressions

    def value(self, expr: hcl.Expr) -> Any:  # noqa: PLR0911, PLR0912 - one case per kind of expression
        match expr:
            case hcl.Literal(value=value):
                return value
            case hcl.Template(parts=parts):
                values = [part if isinstance(part, str) else self.value(part) for part in parts]
                if all(isinstance(v, (str, int, float, bool)) for v in values):
                    return "".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
                return _unknown(*values)
            case hcl.TupleExpr(items=items):
                return [self.value(item) for item in items]
            case hcl.ObjectExpr(items=items):
                result = {}
                for key, item in items:
                    name = self.value(key)
                    if isinstance(name, str):
                        result[name] = self.value(item)
                return result
            case hcl.ForExpr():
                return self.for_expression(expr)
            case hcl.Variable() | hcl.GetAttr() | hcl.Index():
                return self.traversal(expr)
            case hcl.Splat(target=target, each=each):
                collection = self.value(target)
                if isinstance(collection, Unknown):
                    return collection
                elements = collection if isinstance(collection, list) else [collection]
                return [self.bind(**{"": element}).value(each) for element in elements]
            case hcl.Call(name=name, args=args, expand_last=expand_last):
                values = [self.expand(self.value(arg)) for arg in args]
                if expand_last and values and isinstance(values[-1], list):  # f(a, list...)
                    values = values[:-1] + values[-1]
                return call(name, values, self)
            case hcl.Conditional(condition=condition, true=true, false=false):
                chosen = self.value(condition)
                if isinstance(chosen, bool):
                    return self.value(true if chosen else false)
                return _unknown(chosen, self.value(true), self.value(false))
            case hcl.Operation(operator=operator, operands=operands):
                return operation(operator, [self.value(operand) for operand in operands])
        raise hcl.HclError(f"cannot evaluate {expr!r}")

    def expand(self, value: Any) -> Any:
        """A whole ``for_each`` resource (``aws_x.y``) as the map of its instances, as Terraform sees it."""
        if isinstance(value, Reference) and value.instance.key is None and value.attribute is None:
            instance = value.instance
            keys = self.instances(self._module_of(instance), instance.type, instance.name)
            if None not in keys:
                return {key: Reference(Instance(instance.module, instance.type, instance.name, key)) for key in keys}
        return value

    def for_expression(self, expr: hcl.ForExpr) -> Any:
        collection = self.expand(self.value(expr.collection))
        if isinstance(collection, dict):
            pairs = list(collection.items())
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            return _unknown(collection)
        mapped: dict[Any, Any] = {}
        items: list[Any] = []
        for key, item in pairs:
            inner = self.bind(**({expr.key_var: key} if expr.key_var else {}), **{expr.value_var: item})
            if expr.condition is not None:
                keep = inner.value(expr.condition)
                if keep is False:
                    continue
            if expr.key is None:
                items.append(inner.value(expr.value))
                continue
            name = inner.value(expr.key)
            if isinstance(name, (str, int)):
                value = inner.value(expr.value)
                if expr.grouping:
                    mapped.setdefault(str(name), []).append(value)
                else:
                    mapped[str(name)] = value
        return items if expr.key is None else mapped

    def _module_of(self, instance: Instance) -> Module:
        module = self.module
        while module.path != instance.module and module.parent is not None:
            module = module.parent
        for name in instance.module[len(module.path) :]:
            module = module.child(name)
        return module

    def traversal(self, expr: hcl.Expr) -> Any:  # noqa: PLR0911 - one case per kind of name
        steps: list[hcl.Expr] = []
        while isinstance(expr, (hcl.GetAttr, hcl.Index)):
            steps.append(expr)
            expr = expr.target
        steps.reverse()
        if not isinstance(expr, hcl.Variable):
            return self.steps(self.value(expr), steps)
        root = expr.name
        if root in self.names:
            return self.steps(self.names[root], steps)
        first = steps[0].name if steps and isinstance(steps[0], hcl.GetAttr) else None
        rest = steps[1:]
        if root == "local" and first is not None:
            return self.steps(self.local(first), rest)
        if root == "var" and first is not None:
            return self.steps(self.variable(first), rest)
        if root == "each" and self.each is not None and first in ("key", "value"):
            return self.steps(self.each.key if first == "key" else self.each.value, rest)
        if root == "count" and self.each is not None and first == "index":
            return self.each.key
        if root == "module" and first is not None:
            return self.steps(ModuleOutputs(self.module.child(first)), rest)
        if root == "path" and first is not None:
            return str(self.module.directory if first == "module" else self._root().directory)
        if root == "terraform":
            return "default"
        if root == "data":
            return Unknown()
        if first is not None and (root, first) in self.module.resources:
            return self.steps(Reference(Instance(self.module.path, root, first)), rest)
        return Unknown()

    def _root(self) -> Module:
        module = self.module
        while module.parent is not None:
            module = module.parent
        return module

    def steps(self, value: Any, steps: list[hcl.Expr]) -> Any:
        for step in steps:
            key = (
                step.name
                if isinstance(step, hcl.GetAttr)
                else self.value(step.key)
                if isinstance(step, hcl.Index)
                else None
            )
            value = self.step(value, key)
        return value

    def step(self, value: Any, key: Any) -> Any:  # noqa: PLR0911 - one case per kind of value
        if isinstance(value, ModuleOutputs):
            # module.x[0]: an instance of a counted call; every instance reads the same configuration.
            return value if isinstance(key, int) else self.output(value.module, key)
        if isinstance(value, Reference):
            instance = value.instance
            # aws_x.y["k"] of a for_each (or count) resource names an instance; otherwise `key` is an attribute.
            whole = instance.key is None and value.attribute is None and isinstance(key, (str, int))
            if whole and None not in self.instances(self._module_of(instance), instance.type, instance.name):
                return Reference(Instance(instance.module, instance.type, instance.name, key))
            if value.attribute is None and isinstance(key, str):
                return Reference(instance, key)
            return value
        if isinstance(value, dict):
            return value.get(key, Unknown()) if isinstance(key, str) else _unknown(value)
        if isinstance(value, list):
            return value[key] if isinstance(key, int) and 0 <= key < len(value) else _unknown(value)
        if isinstance(value, Unknown):
            return value
        return Unknown()


def _memo(module: Module, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    # Locals, variables, outputs and instances depend on their module alone: each is evaluated once.
    if key not in module.memo:
        module.memo[key] = compute()
    return module.memo[key]


# -- functions and operators -----------------------------------------------------------------------


def _known(*values: Any) -> bool:
    return not any(references(v) or isinstance(v, Unknown) for v in values)


def call(name: str, args: list[Any], context: Context) -> Any:  # noqa: PLR0911, PLR0912 - one case per function
    """The functions the configuration uses, where their arguments are known; otherwise an Unknown."""
    if name == "merge":
        if all(isinstance(arg, dict) or arg is None for arg in args):
            merged: dict[str, Any] = {}
            for arg in args:
                merged.update(arg or {})
            return merged
    elif name == "concat":
        if all(isinstance(arg, list) for arg in args):
            return [item for arg in args for item in arg]
    elif name in ("keys", "values") and len(args) == 1 and isinstance(args[0], dict):
        return sorted(args[0]) if name == "keys" else [args[0][k] for k in sorted(args[0])]
    elif name in ("sort", "toset", "distinct") and len(args) == 1 and isinstance(args[0], list):
        items = [a for a in args[0] if isinstance(a, str)]
        return sorted(set(items)) if len(items) == len(args[0]) else args[0]
    elif name in ("tolist", "tomap", "toset") and len(args) == 1:
        return args[0]
    elif name == "length" and len(args) == 1 and isinstance(args[0], (list, dict, str)):
        return len(args[0])
    elif name in ("lower", "upper") and len(args) == 1 and isinstance(args[0], str):
        return args[0].lower() if name == "lower" else args[0].upper()
    elif name == "tostring" and len(args) == 1 and isinstance(args[0], (str, int, float)):
        return str(args[0])
    elif name in ("coalesce", "try"):
        for arg in args:
            if arg is not None and not (isinstance(arg, Unknown) and name == "try" and not arg.references):
                return arg
        return None
    elif name == "contains" and len(args) == 2 and isinstance(args[0], list) and _known(args[1]):
        return args[1] in args[0]
    elif name == "lookup" and len(args) >= 2 and isinstance(args[0], dict) and isinstance(args[1], str):
        return args[0].get(args[1], args[2] if len(args) > 2 else Unknown())
    elif name in ("min", "max") and args and all(isinstance(a, (int, float)) for a in args):
        return min(args) if name == "min" else max(args)
    elif name == "flatten" and len(args) == 1 and isinstance(args[0], list):
        return [i for item in args[0] for i in (item if isinstance(item, list) else [item])]
    elif name == "one" and len(args) == 1 and isinstance(args[0], list) and len(args[0]) <= 1:
        return args[0][0] if args[0] else None
    elif name == "jsonencode" and len(args) == 1 and _known(args[0]):
        return json.dumps(args[0], separators=(",", ":"), sort_keys=True)
    elif name == "join" and len(args) == 2 and isinstance(args[1], list) and _known(*args):
        return str(args[0]).join(str(item) for item in args[1])
    elif name == "file" and len(args) == 1 and isinstance(args[0], str):
        path = Path(args[0])
        path = path if path.is_absolute() else context.module.directory / path
        return path.read_text() if path.is_file() else Unknown()
    elif name == "jsondecode" and len(args) == 1 and isinstance(args[0], str):
        return json.loads(args[0])
    elif name == "yamldecode" and len(args) == 1 and isinstance(args[0], str):
        return yaml.safe_load(args[0])
    return _unknown(*args)


def operation(operator: str, operands: list[Any]) -> Any:  # noqa: PLR0911 - one case per operator
    if operator in ("==", "!=") and None in operands and any(isinstance(v, Reference) for v in operands):
        # A resource's attribute is never null where the configuration tests it: only optional inputs are.
        return operator == "!="
    if not _known(*operands):
        return _unknown(*operands)
    if operator == "!" and isinstance(operands[0], bool):
        return not operands[0]
    if operator == "-" and len(operands) == 1 and isinstance(operands[0], (int, float)):
        return -operands[0]
    left, right = [*operands, None][:2]
    if operator == "==":
        return left == right
    if operator == "!=":
        return left != right
    if operator in ("&&", "||") and isinstance(left, bool) and isinstance(right, bool):
        return (left and right) if operator == "&&" else (left or right)
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        arithmetic: dict[str, Callable[[], Any]] = {
            "+": lambda: left + right,
            "-": lambda: left - right,
            "*": lambda: left * right,
            "/": lambda: left / right if right else Unknown(),
            "%": lambda: left % right if right else Unknown(),
            "<": lambda: left < right,
            ">": lambda: left > right,
            "<=": lambda: left <= right,
            ">=": lambda: left >= right,
        }
        if operator in arithmetic:
            return arithmetic[operator]()
    return Unknown()
