"""Typed actor methods: each method of an actor declared once, with the shapes of its request and answer.

A service's actor interface module declares its methods as :class:`ActorMethod` values; its typed
client calls them (:meth:`ActorMethod.call`) and its actors read requests and write answers through
the same declaration (:meth:`ActorMethod.request_of`, :meth:`ActorMethod.answer`), so the JSON that
travels through daprd has one definition on both sides and no caller spells a method name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, GetCoreSchemaHandler, TypeAdapter
from pydantic_core import CoreSchema, core_schema

Request = TypeVar("Request")
Answer = TypeVar("Answer")


class ActorInvoker(Protocol):
    """What calls an actor method: the app's :class:`~learnflow_common.dapr.sidecar.DaprSidecar`."""

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any: ...


class DictForm:
    """Marks a domain type that is stored and sent in its own ``to_dict`` form, so an actor request or
    answer can carry it typed: ``Annotated[Snapshot, DictForm(Snapshot.from_dict)]``."""

    def __init__(self, from_dict: Callable[[Any], Any]) -> None:
        self.from_dict = from_dict

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        def validate(value: Any) -> Any:
            if isinstance(value, source):
                return value
            if not isinstance(value, Mapping):
                raise ValueError(f"expected the stored form of {source.__name__}, got {type(value).__name__}")
            try:
                return self.from_dict(value)
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"not the stored form of {source.__name__}: {error!r}") from error

        def serialize(value: HasDict) -> dict[str, Any]:
            return value.to_dict()

        return core_schema.no_info_after_validator_function(
            validate,
            core_schema.any_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(serialize, when_used="json"),
        )


class HasDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class ActorDelivery(BaseModel):
    """What a subscription hands to an actor method: the CloudEvent id (to deduplicate on) and the
    event's validated data."""

    event_id: str
    data: dict[str, Any]


class ActorMethod(Generic[Request, Answer]):
    """``actor_type``'s method ``name``, taking a ``request`` and answering an ``answer`` (types
    pydantic can validate: models, ``None``, ``str``, ``dict[str, Any]``, unions of them)."""

    def __init__(self, actor_type: str, name: str, request: Any, answer: Any) -> None:
        self.actor_type = actor_type
        self.name = name
        self._request: TypeAdapter[Request] = TypeAdapter(request)
        self._answer: TypeAdapter[Answer] = TypeAdapter(answer)

    async def call(self, sidecar: ActorInvoker, actor_id: str, request: Request) -> Answer:
        """Invokes the method on actor ``actor_id`` through the sidecar and validates its answer."""
        return self.answer_of(await sidecar.invoke_actor(self.actor_type, actor_id, self.name, self.request(request)))

    def request(self, value: Request) -> Any:
        """A request as JSON-ready values (what the sidecar passes on)."""
        return self._request.dump_python(value, mode="json")

    def request_of(self, raw: Any) -> Request:
        """The request an actor method received (the SDK hands it over as decoded JSON)."""
        return self._request.validate_python(raw)

    def answer(self, value: Answer) -> Any:
        """An actor method's answer as JSON-ready values (what the SDK serializes)."""
        return self._answer.dump_python(value, mode="json")

    def answer_of(self, raw: Any) -> Answer:
        """The answer a caller received, validated."""
        return self._answer.validate_python(raw)
