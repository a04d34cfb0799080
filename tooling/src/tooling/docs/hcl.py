"""A small reader of Terraform's HCL: files to blocks and attribute expressions (syntax trees).

The architecture diagram (``architecture``) is derived from the Terraform configuration itself, in
the unit tests and in CI, where neither a cloud nor a provider download is at hand: ``terraform
graph`` or a plan would need the AWS provider, which CI fetches from the registry. So this module
parses the configuration's native syntax (what ``terraform fmt`` accepts: blocks, attributes, the
expression language with templates, heredocs, for-expressions, splats and operators) into plain
trees, and ``evaluate`` computes with them as far as the configuration allows without a provider.
It is a reader for this repository's configuration, not a full implementation of the
specification: template directives (``%{ ... }``) are kept as text, for one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


class HclError(ValueError):
    """The text is not HCL this reader understands; the message names the place."""


# -- syntax trees --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | None


@dataclass(frozen=True)
class Template:
    """A quoted string or heredoc: literal text and ``${...}`` interpolations, in order."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class TupleExpr:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class ObjectExpr:
    items: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True)
class ForExpr:
    """``[for k, v in coll : value if cond]`` (``key`` is None) or ``{for ... : key => value}``."""

    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None
    value: Expr
    condition: Expr | None
    grouping: bool


@dataclass(frozen=True)
class Variable:
    name: str


@dataclass(frozen=True)
class GetAttr:
    target: Expr
    name: str


@dataclass(frozen=True)
class Index:
    target: Expr
    key: Expr


@dataclass(frozen=True)
class Splat:
    """``coll[*].rest`` or ``coll.*.rest``: ``rest`` applied to each element (``Variable("")`` stands for one)."""

    target: Expr
    each: Expr


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    expand_last: bool


@dataclass(frozen=True)
class Conditional:
    condition: Expr
    true: Expr
    false: Expr


@dataclass(frozen=True)
class Operation:
    operator: str
    operands: tuple[Expr, ...]


type Expr = (
    Literal
    | Template
    | TupleExpr
    | ObjectExpr
    | ForExpr
    | Variable
    | GetAttr
    | Index
    | Splat
    | Call
    | Conditional
    | Operation
)


@dataclass
class Body:
    """Attributes (name -> expression) and nested blocks, in file order."""

    attributes: dict[str, Expr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, kind: str) -> list[Block]:
        return [block for block in self.blocks if block.kind == kind]


@dataclass
class Block:
    kind: str
    labels: tuple[str, ...]
    body: Body


# -- tokens --------------------------------------------------------------------------------------

_PUNCTUATION: tuple[str, ...] = ("...", "==", "!=", "<=", ">=", "&&", "||", "=>", "{", "}", "[", "]", "(", ")")
_PUNCTUATION += (",", ".", "=", "?", ":", "+", "-", "*", "/", "%", "<", ">", "!")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_]*)\n")


@dataclass(frozen=True)
class Token:
    kind: str  # "ident", "number", "template", "punct", "newline", "end"
    text: str
    template: tuple[str | Expr, ...] = ()
    at: int = 0


def _skip_string(text: str, start: int) -> int:
    """The index after the closing quote of the string opening at ``start``."""
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
        elif char == '"':
            return index + 1
        elif text.startswith("${", index) or text.startswith("%{", index):
            index = _skip_braces(text, index + 1)
        else:
            index += 1
    raise HclError(f"unterminated string at offset {start}")


def _skip_braces(text: str, start: int) -> int:
    """The index after the brace matching the one at ``start``, strings inside taken whole."""
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        if char == '"':
            index = _skip_string(text, index)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise HclError(f"unbalanced braces from offset {start}")


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _template(raw: str, quoted: bool) -> tuple[str | Expr, ...]:
    """The parts of a template's source text (without its quotes or heredoc markers)."""
    parts: list[str | Expr] = []
    literal: list[str] = []
    index = 0
    while index < len(raw):
        if raw.startswith("$${", index) or raw.startswith("%%{", index):
            literal.append(raw[index + 1 : index + 3])
            index += 3
        elif raw.startswith("${", index):
            end = _skip_braces(raw, index + 1)
            if literal:
                parts.append("".join(literal))
                literal = []
            inner = raw[index + 2 : end - 1].strip().removeprefix("~").removesuffix("~")
            parts.append(parse_expression(inner))
            index = end
        elif quoted and raw[index] == "\\" and index + 1 < len(raw):
            literal.append(_ESCAPES.get(raw[index + 1], raw[index + 1]))
            index += 2
        else:
            literal.append(raw[index])
            index += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def tokens(text: str) -> list[Token]:  # noqa: PLR0912 - one case per kind of token
    out: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\n":
            out.append(Token("newline", "\n", at=index))
            index += 1
        elif char in " \t\r":
            index += 1
        elif char == "#" or text.startswith("//", index):
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
        elif text.startswith("/*", index):
            end = text.find("*/", index)
            if end < 0:
                raise HclError(f"unterminated comment at offset {index}")
            index = end + 2
        elif char == '"':
            end = _skip_string(text, index)
            out.append(Token("template", text[index:end], _template(text[index + 1 : end - 1], True), index))
            index = end
        elif heredoc := _HEREDOC.match(text, index):
            marker = heredoc.group(2)
            body_start = heredoc.end()
            closing = re.compile(rf"^[ \t]*{marker}[ \t]*$", re.MULTILINE).search(text, body_start)
            if closing is None:
                raise HclError(f"unterminated heredoc {marker} at offset {index}")
            lines = text[body_start : closing.start()].splitlines(keepends=True)
            if heredoc.group(1):  # <<- strips the common indentation
                widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
                cut = min(widths, default=0)
                lines = [line[cut:] for line in lines]
            out.append(Token("template", text[index : closing.end()], _template("".join(lines), False), index))
            index = closing.end()
        elif number := _NUMBER.match(text, index):
            out.append(Token("number", number.group(0), at=index))
            index = number.end()
        elif identifier := _IDENTIFIER.match(text, index):
            out.append(Token("ident", identifier.group(0), at=index))
            index = identifier.end()
        else:
            for punct in _PUNCTUATION:
                if text.startswith(punct, index):
                    out.append(Token("punct", punct, at=index))
                    index += len(punct)
                    break
            else:
                raise HclError(f"unexpected character {char!r} at offset {index}")
    out.append(Token("end", "", at=len(text)))
    return out


# -- parser --------------------------------------------------------------------------------------

_BINARY = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokens(text)
        self.position = 0
        # Inside (), [] and {} of an expression newlines are spaces; an object's items end at them.
        self.nesting = 0

    def _ahead(self, skip_newlines: bool | None) -> int:
        skip = self.nesting > 0 if skip_newlines is None else skip_newlines
        position = self.position
        while skip and self.tokens[position].kind == "newline":
            position += 1
        return position

    def peek(self, skip_newlines: bool | None = None) -> Token:
        return self.tokens[self._ahead(skip_newlines)]

    def next(self, skip_newlines: bool | None = None) -> Token:
        position = self._ahead(skip_newlines)
        if self.tokens[position].kind != "end":
            self.position = position + 1
        return self.tokens[position]

    def accept(self, text: str, skip_newlines: bool | None = None) -> bool:
        token = self.peek(skip_newlines)
        if token.kind == "punct" and token.text == text:
            self.next(skip_newlines)
            return True
        return False

    def expect(self, text: str, skip_newlines: bool | None = None) -> None:
        if not self.accept(text, skip_newlines):
            token = self.peek(skip_newlines)
            raise HclError(f"expected {text!r} at offset {token.at}, found {token.text!r}")

    def skip_newlines(self) -> None:
        while self.tokens[self.position].kind == "newline":
            self.position += 1

    # -- bodies

    def body(self, closing: bool) -> Body:
        body = Body()
        while True:
            self.skip_newlines()
            token = self.tokens[self.position]
            if token.kind == "end":
                if closing:
                    raise HclError("a block is not closed")
                return body
            if token.kind == "punct" and token.text == "}" and closing:
                self.position += 1
                return body
            if token.kind != "ident":
                raise HclError(f"expected an attribute or a block at offset {token.at}, found {token.text!r}")
            self.position += 1
            if self.accept("=", skip_newlines=False):
                body.attributes[token.text] = self.expression()
                continue
            labels: list[str] = []
            while (label := self.tokens[self.position]).kind in ("template", "ident"):
                labels.append(label.text.strip('"') if label.kind == "template" else label.text)
                self.position += 1
            self.expect("{", skip_newlines=False)
            body.blocks.append(Block(token.text, tuple(labels), self.body(closing=True)))

    # -- expressions

    def expression(self) -> Expr:
        condition = self.binary(0)
        if self.accept("?"):
            true = self.expression()
            self.expect(":")
            false = self.expression()
            return Conditional(condition, true, false)
        return condition

    def binary(self, level: int) -> Expr:
        if level == len(_BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while (token := self.peek()).kind == "punct" and token.text in _BINARY[level]:
            self.next()
            left = Operation(token.text, (left, self.binary(level + 1)))
        return left

    def unary(self) -> Expr:
        token = self.peek()
        if token.kind == "punct" and token.text in ("!", "-"):
            self.next()
            return Operation(token.text, (self.unary(),))
        return self.postfix(self.primary())

    def postfix(self, expr: Expr) -> Expr:
        while True:
            if self.accept(".", skip_newlines=False):
                token = self.next(skip_newlines=False)
                if token.text == "*":
                    return Splat(expr, self.postfix(Variable("")))
                expr = Index(expr, Literal(int(token.text))) if token.kind == "number" else GetAttr(expr, token.text)
            elif self.peek(skip_newlines=False).text == "[":
                self.next(skip_newlines=False)
                self.nesting += 1
                if self.accept("*"):
                    self.expect("]")
                    self.nesting -= 1
                    return Splat(expr, self.postfix(Variable("")))
                key = self.expression()
                self.expect("]")
                self.nesting -= 1
                expr = Index(expr, key)
            else:
                return expr

    def primary(self) -> Expr:  # noqa: PLR0911 - one case per kind of token
        token = self.next()
        if token.kind == "number":
            number = float(token.text)
            return Literal(int(number) if number.is_integer() and "." not in token.text else number)
        if token.kind == "template":
            parts = token.template
            if not parts:
                return Literal("")
            if len(parts) == 1 and isinstance(parts[0], str):
                return Literal(parts[0])
            return Template(parts)
        if token.kind == "ident":
            if token.text in ("true", "false"):
                return Literal(token.text == "true")
            if token.text == "null":
                return Literal(None)
            if self.peek(skip_newlines=False).text == "(":
                return self.call(token.text)
            return Variable(token.text)
        if token.kind == "punct" and token.text == "(":
            self.nesting += 1
            inner = self.expression()
            self.expect(")")
            self.nesting -= 1
            return inner
        if token.kind == "punct" and token.text == "[":
            return self.tuple_or_for()
        if token.kind == "punct" and token.text == "{":
            return self.object_or_for()
        raise HclError(f"unexpected {token.text!r} at offset {token.at}")

    def call(self, name: str) -> Expr:
        self.expect("(", skip_newlines=False)
        self.nesting += 1
        args: list[Expr] = []
        expand = False
        while not self.accept(")"):
            args.append(self.expression())
            if self.accept("..."):
                expand = True
            if not self.accept(","):
                self.expect(")")
                break
        self.nesting -= 1
        return Call(name, tuple(args), expand)

    def for_head(self) -> tuple[str | None, str, Expr]:
        first = self.next().text
        second = self.next().text if self.accept(",") else None
        if self.next().text != "in":
            raise HclError("expected 'in' in a for expression")
        collection = self.expression()
        self.expect(":")
        return (first, second, collection) if second is not None else (None, first, collection)

    def condition(self) -> Expr | None:
        """A for-expression's ``if`` clause, if it has one."""
        if self.peek().kind == "ident" and self.peek().text == "if":
            self.next()
            return self.expression()
        return None

    def tuple_or_for(self) -> Expr:
        self.nesting += 1
        if self.peek().text == "for":
            self.next()
            key_var, value_var, collection = self.for_head()
            value = self.expression()
            condition = self.condition()
            self.expect("]")
            self.nesting -= 1
            return ForExpr(key_var, value_var, collection, None, value, condition, False)
        items: list[Expr] = []
        while not self.accept("]"):
            items.append(self.expression())
            if not self.accept(","):
                self.expect("]")
                break
        self.nesting -= 1
        return TupleExpr(tuple(items))

    def object_or_for(self) -> Expr:
        self.nesting += 1
        if self.peek().text == "for":
            self.next()
            key_var, value_var, collection = self.for_head()
            key = self.expression()
            self.expect("=>")
            value = self.expression()
            grouping = self.accept("...")
            condition = self.condition()
            self.expect("}")
            self.nesting -= 1
            return ForExpr(key_var, value_var, collection, key, value, condition, grouping)
        # Object items end at a newline or a comma; inside a value, brackets nest as usual.
        self.nesting -= 1
        items: list[tuple[Expr, Expr]] = []
        while True:
            self.skip_newlines()
            if self.accept("}", skip_newlines=False):
                return ObjectExpr(tuple(items))
            key = self.object_key()
            if not (self.accept("=", skip_newlines=False) or self.accept(":", skip_newlines=False)):
                raise HclError(f"expected '=' after an object key at offset {self.peek().at}")
            items.append((key, self.expression()))
            self.accept(",", skip_newlines=False)

    def object_key(self) -> Expr:
        token = self.peek(skip_newlines=False)
        if token.kind == "ident" and self.tokens[self.position + 1].text in ("=", ":"):
            self.next(skip_newlines=False)
            return Literal(token.text)
        return self.binary(0)


def parse_expression(text: str) -> Expr:
    parser = _Parser(text)
    parser.nesting = 1
    expr = parser.expression()
    if parser.peek().kind != "end":
        raise HclError(f"unexpected {parser.peek().text!r} after an expression at offset {parser.peek().at}")
    return expr


def parse(text: str) -> Body:
    """The body of one configuration file."""
    return _Parser(text).body(closing=False)


def parse_directory(directory: Path) -> Body:
    """Every ``*.tf`` file of a module directory, as one body (files in name order)."""
    merged = Body()
    for path in sorted(directory.glob("*.tf")):
        try:
            body = parse(path.read_text())
        except HclError as error:
            raise HclError(f"{path}: {error}") from error
        merged.attributes.update(body.attributes)
        merged.blocks.extend(body.blocks)
    return merged
