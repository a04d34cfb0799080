"""Resolve the local API Gateway data plane's routes and API keys from moto's state.

Everything here reads moto's in-memory API Gateway backend; nothing comes from
the contract file. Lookups that would otherwise walk every resource or usage
plan per request are cached and invalidated by the control plane's generation
counter (``generation``: every mutating call bumps it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from localcloud.apigateway.generation import current_generation
from localcloud.moto_patches.internals import (
    DEFAULT_ACCOUNT_ID,
    APIGatewayBackend,
    Authorizer,
    Resource,
    RestAPI,
    Stage,
    apigateway_backends,
)
from localcloud.moto_patches.serial import holding_moto

# Invalid keys sent by clients are cached too; cap the cache so they cannot grow it forever.
_KEY_CACHE_LIMIT = 4096


# --------------------------------------------------------------------------- lookup


def _backends_in_search_order(region_hint: str) -> Iterator[APIGatewayBackend]:
    # dict.* on moto's BackendDicts reads what exists without creating backends lazily.
    accounts = dict(apigateway_backends)
    ordered = [DEFAULT_ACCOUNT_ID, *(a for a in accounts if a != DEFAULT_ACCOUNT_ID)]
    for account_id in ordered:
        regions = accounts.get(account_id)
        if regions is None:
            continue
        hinted = dict.get(regions, region_hint)
        if hinted is not None:
            yield hinted
        yield from (b for r, b in list(dict.items(regions)) if r != region_hint)


# Where each API id was last found; checked against moto's live backends on every use.
_api_backends: dict[str, APIGatewayBackend] = {}


def _is_live(backend: APIGatewayBackend) -> bool:
    # Backends dropped from moto's dicts (a reset, or tests clearing them) keep their old APIs.
    regions = dict.get(apigateway_backends, backend.account_id)
    return regions is not None and dict.get(regions, backend.region_name) is backend


@holding_moto
def find_rest_api(api_id: str, region_hint: str) -> RestAPI | None:
    """Find a REST API by id, trying the request's region first, then every other one."""
    known = _api_backends.get(api_id)
    api = known.apis.get(api_id) if known is not None and _is_live(known) else None
    if api is not None:
        return api
    for backend in _backends_in_search_order(region_hint):
        api = backend.apis.get(api_id)
        if api is not None:
            _api_backends[api_id] = backend
            return api
    return None


@holding_moto
def deployed_stage(api: RestAPI, stage_name: str) -> Stage | None:
    """Return the stage only if it exists and points at an existing deployment."""
    stage = api.stages.get(stage_name)
    if stage is None or stage.deployment_id not in api.deployments:
        return None
    return stage


# --------------------------------------------------------------------------- route table


@dataclass(frozen=True)
class UserPoolAuthorizer:
    """A method's COGNITO_USER_POOLS authorizer: the pools whose tokens it takes, from which header."""

    provider_arns: tuple[str, ...]
    header: str  # lower-cased, from the identity source method.request.header.<name>


@dataclass(frozen=True)
class RequestChecks:
    """What a method's request validator makes API Gateway check before the integration.

    Empty unless the method has a validator that turns the check on: a method's
    required parameters and request models alone check nothing, as on AWS.
    """

    required_parameters: tuple[tuple[str, str], ...] = ()  # (querystring | header | path, name)
    models: tuple[tuple[str, str], ...] = ()  # (lower-cased content type, model name)


NO_CHECKS = RequestChecks()


@dataclass(frozen=True)
class MethodTarget:
    """What the data plane needs from one moto Method and its integration."""

    http_method: str
    api_key_required: bool
    integration_type: str | None
    integration_uri: str | None
    integration_http_method: str | None
    # NONE, AWS_IAM, COGNITO_USER_POOLS or CUSTOM; only a user pool authorizer is enforced here.
    authorization_type: str = "NONE"
    user_pool_authorizer: UserPoolAuthorizer | None = None
    authorization_scopes: tuple[str, ...] = ()
    checks: RequestChecks = NO_CHECKS


@dataclass(frozen=True)
class Route:
    """One resource: its id, path template (`/events/{id}`) and methods."""

    resource_id: str
    path: str
    methods: dict[str, MethodTarget]

    def method_for(self, http_method: str) -> MethodTarget | None:
        """Exact method first, else ANY, as API Gateway selects."""
        return self.methods.get(http_method) or self.methods.get("ANY")


@dataclass
class _Node:
    route: Route | None = None
    literals: dict[str, _Node] = field(default_factory=dict)
    params: list[tuple[str, _Node]] = field(default_factory=list)
    greedy: list[tuple[str, Route]] = field(default_factory=list)


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


class RouteTable:
    """A trie over path segments: literal segments beat `{param}`, which beats `{proxy+}`."""

    def __init__(self, routes: list[Route]) -> None:
        self._root = _Node()
        for route in routes:
            self._insert(route)

    def _insert(self, route: Route) -> None:
        node = self._root
        parts = [p for p in route.path.split("/") if p]
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if index == len(parts) - 1:
                    node.greedy.append((part[1:-2], route))
                return  # API Gateway only allows a greedy variable as the last part
            node = self._child(node, part)
        node.route = _merged(node.route, route)

    @staticmethod
    def _child(node: _Node, part: str) -> _Node:
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            for existing_name, child in node.params:
                if existing_name == name:
                    return child
            child = _Node()
            node.params.append((name, child))
            return child
        return node.literals.setdefault(part, _Node())

    def match(self, segments: list[str]) -> RouteMatch | None:
        """Match decoded path segments; returns the route and its decoded path parameters."""
        params: dict[str, str] = {}
        route = _match(self._root, segments, 0, params)
        return None if route is None else RouteMatch(route, params)


def _match(node: _Node, segments: list[str], index: int, params: dict[str, str]) -> Route | None:
    if index == len(segments):
        return node.route
    segment = segments[index]
    literal = node.literals.get(segment)
    if literal is not None:
        found = _match(literal, segments, index + 1, params)
        if found is not None:
            return found
    for name, child in node.params:
        params[name] = segment
        found = _match(child, segments, index + 1, params)
        if found is not None:
            return found
        del params[name]
    for name, route in node.greedy:
        params[name] = "/".join(segments[index:])
        return route
    return None


def _merged(existing: Route | None, new: Route) -> Route:
    # moto's merge-mode import can leave two resources with one path; the newer one's
    # methods win, which is what merging them in API Gateway would give.
    if existing is None:
        return new
    return Route(new.resource_id, new.path, {**existing.methods, **new.methods})


def resource_paths(api: RestAPI) -> dict[str, str]:
    """Map resource id to its full path, memoised (moto's get_path walks parents per call)."""
    resources: dict[str, Resource] = api.resources
    paths: dict[str, str] = {}
    for resource_id in resources:
        _path_of(resource_id, resources, paths)
    return {rid: path for rid, path in paths.items() if path}


def _path_of(resource_id: str, resources: dict[str, Resource], paths: dict[str, str]) -> str:
    if resource_id in paths:
        return paths[resource_id]
    resource = resources[resource_id]
    if resource.parent_id is None:
        path = "/"
    elif resource.parent_id not in resources:
        path = ""  # orphan: its parent was deleted, so it is unreachable
    else:
        parent = _path_of(resource.parent_id, resources, paths)
        path = f"{parent.rstrip('/')}/{resource.path_part}" if parent else ""
    paths[resource_id] = path
    return path


_PARAMETER_PREFIX = "method.request."
_PARAMETER_LOCATIONS = frozenset({"querystring", "header", "path"})


def _request_checks(method: Any, validators: dict[str, Any]) -> RequestChecks:
    validator = validators.get(method.request_validator_id) if method.request_validator_id else None
    if validator is None:
        return NO_CHECKS
    required: list[tuple[str, str]] = []
    if _is_enabled(validator.validate_request_parameters):
        for key, is_required in (method.request_parameters or {}).items():
            location, _, name = str(key).removeprefix(_PARAMETER_PREFIX).partition(".")
            if str(key).startswith(_PARAMETER_PREFIX) and location in _PARAMETER_LOCATIONS and _is_enabled(is_required):
                required.append((location, name))
    models: list[tuple[str, str]] = []
    if _is_enabled(validator.validate_request_body):
        models = [
            (str(content_type).lower(), str(name)) for content_type, name in (method.request_models or {}).items()
        ]
    if not required and not models:
        return NO_CHECKS
    return RequestChecks(tuple(sorted(required)), tuple(sorted(models)))


def _user_pool_authorizer(authorizer: Authorizer | None) -> UserPoolAuthorizer | None:
    if authorizer is None or str(authorizer.type or "").upper() != "COGNITO_USER_POOLS":
        return None
    source = str(authorizer.identity_source or "method.request.header.Authorization")
    return UserPoolAuthorizer(
        provider_arns=tuple(authorizer.provider_arns or ()),
        header=source.removeprefix("method.request.header.").lower(),
    )


def _method_target(
    http_method: str, method: Any, authorizers: dict[str, Authorizer], validators: dict[str, Any]
) -> MethodTarget:
    integration = method.method_integration
    authorizer = authorizers.get(method.authorizer_id) if method.authorizer_id else None
    return MethodTarget(
        http_method=http_method,
        api_key_required=bool(method.api_key_required),
        integration_type=(integration.integration_type or "").upper() if integration else None,
        integration_uri=integration.uri if integration else None,
        integration_http_method=integration.http_method if integration else None,
        authorization_type=str(method.authorization_type or "NONE").upper(),
        user_pool_authorizer=_user_pool_authorizer(authorizer),
        authorization_scopes=tuple(method.authorization_scopes or ()),
        checks=_request_checks(method, validators),
    )


def build_route_table(api: RestAPI) -> RouteTable:
    """Walk the API's resources once and index them."""
    routes = []
    validators: dict[str, Any] = dict(api.request_validators)
    for resource_id, path in resource_paths(api).items():
        resource = api.resources[resource_id]
        methods = {
            m: _method_target(m, meth, api.authorizers, validators) for m, meth in resource.resource_methods.items()
        }
        routes.append(Route(resource_id, path, methods))
    return RouteTable(routes)


@dataclass(frozen=True)
class _TableEntry:
    api: RestAPI
    stage: Stage
    deployment_id: str | None
    generation: int
    table: RouteTable


_tables: dict[tuple[str, str, str, str | None], _TableEntry] = {}


@holding_moto
def route_table(api: RestAPI, stage: Stage) -> RouteTable:
    """Return the cached table for (API, stage), rebuilding it when anything may have changed.

    The check is a few identity and integer comparisons: the same API and stage
    objects (moto's reset replaces them), the stage's deployment id, and the
    control-plane generation.
    """
    key = (api.account_id, api.region_name, api.id, stage.name)
    generation = current_generation()  # read before building: a concurrent change makes it stale
    entry = _tables.get(key)
    if (
        entry is not None
        and entry.generation == generation
        and entry.api is api
        and entry.stage is stage
        and entry.deployment_id == stage.deployment_id
    ):
        return entry.table
    table = build_route_table(api)
    _tables[key] = _TableEntry(api, stage, stage.deployment_id, generation, table)
    return table


# --------------------------------------------------------------------------- API keys

_key_checks: dict[tuple[str, str, str, str, str], tuple[int, str | None]] = {}


def _is_enabled(value: Any) -> bool:
    # The REST API stores booleans; a patch operation may leave the string form.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _find_key_id(api: RestAPI, stage_name: str, value: str) -> str | None:
    backend = apigateway_backends[api.account_id][api.region_name]
    for plan in backend.usage_plans.values():
        stages = plan.api_stages or []
        if not any(s.get("apiId") == api.id and s.get("stage") == stage_name for s in stages):
            continue
        for plan_key in backend.usage_plan_keys.get(plan.id, {}).values():
            key = backend.keys.get(plan_key.id)
            if key is not None and key.value == value and _is_enabled(key.enabled):
                return str(key.id)
    return None


@holding_moto
def valid_api_key_id(api: RestAPI, stage_name: str, value: str) -> str | None:
    """Return the id of the enabled key with this value in a usage plan for this API stage."""
    cache_key = (api.account_id, api.region_name, api.id, stage_name, value)
    generation = current_generation()
    cached = _key_checks.get(cache_key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    key_id = _find_key_id(api, stage_name, value)
    if len(_key_checks) >= _KEY_CACHE_LIMIT:
        _key_checks.clear()
    _key_checks[cache_key] = (generation, key_id)
    return key_id
