"""An actor's values held in memory are bounded, and so are the actors of a process that hold any;
holding fewer never changes an answer.

The reference is the same state with bounds no call reaches (it holds every value it read or
committed, as before the bounds); both run the same calls against stores of their own.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from dapr.actor import ActorInterface, Remindable, actormethod
from dapr.actor.runtime.state_change import StateChangeKind
from hypothesis import example, given, settings
from hypothesis import strategies as st

from learnflow_common.dapr.actor_state import ActorState, PlainKeyState, SdkActorState, ValueHolders
from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.testing import ActorHost, MemoryActorStore
from learnflow_common.settings import DaprAppSettings

UNBOUNDED = 10_000
KEYS = [f"k{n}" for n in range(6)]
SETTINGS = DaprAppSettings(
    APP_ID="probe",
    APP_PORT=1,
    DAPR_API_TOKEN="d" * 32,
    APP_API_TOKEN="a" * 32,
    AUTH_JWKS_URL="https://issuer.example/jwks",  # type: ignore[call-arg]
)


class ProbeActions(ActorInterface):
    @actormethod(name="Nothing")
    async def nothing(self) -> None: ...


class Probe(SidecarActor, ProbeActions, Remindable):  # Remindable must be a direct base for the SDK
    async def nothing(self) -> None:
        return None


operation = st.one_of(
    st.tuples(st.just("get"), st.sampled_from(KEYS)),
    st.tuples(st.just("stage"), st.sampled_from(KEYS), st.integers(0, 3)),
    st.tuples(st.just("remove"), st.sampled_from(KEYS)),
    st.tuples(st.just("prefetch"), st.lists(st.sampled_from(KEYS), max_size=4)),
    st.just(("commit",)),
    st.just(("failed-commit",)),
)
operations = st.lists(operation, max_size=60)


def sdk_state(cached: int) -> tuple[SdkActorState, MemoryActorStore, Any]:
    host = ActorHost(Probe, SETTINGS)
    actor = host.actor("learner-1")
    return SdkActorState(actor._state_manager, cached), host.store, actor


def plain_state(cached: int) -> tuple[PlainKeyState, MemoryActorStore, Any]:
    host = ActorHost(Probe, SETTINGS)
    return PlainKeyState(host.publisher, "statestore", "probe", "learner-1", cached), host.store, None


def held(state: ActorState, actor: Any) -> int:
    """How many values read or committed the state holds in memory."""
    if isinstance(state, PlainKeyState):
        return len(state._known)
    tracker = actor._state_manager._get_contextual_state_tracker()
    return sum(1 for metadata in tracker.values() if metadata.change_kind == StateChangeKind.none)


async def perform(state: ActorState, store: MemoryActorStore, call: tuple[Any, ...], answers: list[Any]) -> None:
    """One call on the state; what it answers (a read's value, a failed commit) goes to ``answers``."""
    if call[0] == "get":
        answers.append(await state.get(call[1]))
    elif call[0] == "stage":
        state.stage(call[1], call[2])
    elif call[0] == "remove":
        await state.remove(call[1])
    elif call[0] == "prefetch":
        await state.prefetch(call[1])
    else:
        if call[0] == "failed-commit":
            store.fail_saves.append("outage")
        try:
            await state.commit()
        except SidecarUnavailable:
            answers.append("failed")
        store.fail_saves.clear()  # a commit with nothing staged never reached the store


async def run(state: ActorState, store: MemoryActorStore, actor: Any, calls: list[tuple[Any, ...]], cached: int) -> Any:
    answers: list[Any] = []
    for call in calls:
        await perform(state, store, call, answers)
        assert held(state, actor) <= cached
    return answers, store.stored("learner-1")


@settings(max_examples=150, deadline=None)
@given(operations, st.integers(1, 3), st.sampled_from((sdk_state, plain_state)))
def test_a_bounded_state_answers_and_stores_what_one_holding_every_value_does(
    calls: list[tuple[Any, ...]], cached: int, make: Any
) -> None:
    bounded = asyncio.run(run(*make(cached), calls, cached))
    reference = asyncio.run(run(*make(UNBOUNDED), calls, UNBOUNDED))

    assert bounded == reference


async def write_a_lesson_a_call(state: ActorState, store: MemoryActorStore) -> list[str]:
    """A call reads the knowledge and writes a lesson and the meta, 100 times; then the meta and
    an early lesson are read. Returns what was read from the store."""
    store.plain["probe~learner-1~knowledge"] = {"topics": 3}
    for n in range(100):
        assert await state.get("knowledge") == {"topics": 3}
        state.stage(f"lesson-{n}", {"n": n})
        state.stage("meta", {"lessons": n + 1})
        await state.commit()
    assert await state.get("meta") == {"lessons": 100}
    assert await state.get("lesson-3") == {"n": 3}
    return store.reads


def test_an_actor_holds_the_values_it_used_last_and_reads_others_again() -> None:
    plain, plain_store, _ = plain_state(4)
    sdk, sdk_store, sdk_actor = sdk_state(4)
    sdk_store.values[("learner-1", "knowledge")] = b'{"topics": 3}'

    plain_reads = asyncio.run(write_a_lesson_a_call(plain, plain_store))
    sdk_reads = asyncio.run(write_a_lesson_a_call(sdk, sdk_store))

    assert plain_reads == sdk_reads == ["knowledge", "lesson-3"]  # the others were held
    assert held(plain, None) == held(sdk, sdk_actor) == 4


ACTORS = ("learner-1", "learner-2", "learner-3")


def sdk_states(cached: int, holders: ValueHolders | None) -> tuple[list[SdkActorState], MemoryActorStore, list[Any]]:
    host = ActorHost(Probe, SETTINGS)
    actors = [host.actor(actor_id) for actor_id in ACTORS]
    return [SdkActorState(actor._state_manager, cached, holders) for actor in actors], host.store, actors


def plain_states(cached: int, holders: ValueHolders | None) -> tuple[list[PlainKeyState], MemoryActorStore, list[Any]]:
    host = ActorHost(Probe, SETTINGS)
    states = [PlainKeyState(host.publisher, "statestore", "probe", actor_id, cached, holders) for actor_id in ACTORS]
    return states, host.store, [None] * len(ACTORS)


async def run_actors(
    states: list[Any], store: MemoryActorStore, actors: list[Any], calls: list[tuple[int, tuple[Any, ...]]], most: int
) -> Any:
    """The calls, each on one of the actors' states in turn; after each, at most ``most`` of them
    hold values. What they answered, and what each actor stored."""
    answers: list[Any] = []
    for which, call in calls:
        await perform(states[which], store, call, answers)
        assert sum(1 for state, actor in zip(states, actors, strict=True) if held(state, actor)) <= most
    return answers, [store.stored(actor_id) for actor_id in ACTORS]


@settings(max_examples=400, deadline=None)
@example(  # the first lets go of what it read while it has a value staged
    [(0, ("get", "k0")), (0, ("stage", "k1", 1)), (1, ("get", "k0")), (0, ("commit",))], 1, 3, plain_states
)
@given(
    st.lists(st.tuples(st.integers(0, len(ACTORS) - 1), operation), max_size=80),
    st.integers(1, 2),
    st.integers(1, 3),
    st.sampled_from((sdk_states, plain_states)),
)
def test_actors_that_let_their_values_go_answer_and_store_what_actors_holding_every_value_do(
    calls: list[tuple[int, tuple[Any, ...]]], capacity: int, cached: int, make: Any
) -> None:
    bounded = asyncio.run(run_actors(*make(cached, ValueHolders(capacity)), calls, capacity))
    reference = asyncio.run(run_actors(*make(UNBOUNDED, None), calls, len(ACTORS)))

    assert bounded == reference


def test_the_actor_that_used_its_values_least_recently_lets_them_go_and_reads_them_again() -> None:
    async def scenario() -> tuple[list[str], list[int]]:
        holders = ValueHolders(2)
        states, store, _ = plain_states(32, holders)
        for actor_id in ACTORS:
            store.plain[f"probe~{actor_id}~knowledge"] = {"of": actor_id}
        first, second, third = states
        await first.get("knowledge")
        await second.get("knowledge")
        await first.get("knowledge")  # held: the first is now the most recently used
        await third.get("knowledge")  # the second lets its values go
        holding = [len(state._known) for state in states]
        store.reads.clear()
        assert await second.get("knowledge") == {"of": "learner-2"}  # read again: the first lets go
        assert await third.get("knowledge") == {"of": "learner-3"}  # still held
        return store.reads, holding

    reads, holding = asyncio.run(scenario())
    assert holding == [1, 0, 1]
    assert reads == ["knowledge"]


def test_what_an_actor_staged_is_kept_when_it_lets_its_values_go() -> None:
    async def scenario() -> dict[str, Any]:
        holders = ValueHolders(1)
        (first, second, _), store, _ = plain_states(32, holders)
        await first.get("meta")
        first.stage("lesson-1", {"n": 1})
        await second.get("meta")  # the first lets go of what it read, not what it staged
        assert await first.get("lesson-1") == {"n": 1}
        await first.commit()
        return store.stored("learner-1")

    assert asyncio.run(scenario()) == {"lesson-1": {"n": 1}}


@pytest.mark.parametrize("make", [sdk_states, plain_states])
def test_an_actor_that_lets_its_values_go_while_its_commit_is_in_flight_reads_what_it_committed(make: Any) -> None:
    """Another actor's call runs while this one awaits its state transaction and takes its place."""

    async def scenario() -> tuple[Any, Any, dict[str, Any]]:
        (first, second, _), store, _ = make(32, ValueHolders(1))
        if isinstance(first, SdkActorState):
            store.values[("learner-1", "old")] = b"1"
            saves = (store, "save_state_transactionally")
        else:
            store.plain["probe~learner-1~old"] = 1
            saves = (first._sidecar, "transact_state")
        await first.get("old")
        first.stage("new", 2)
        await first.remove("old")
        save = getattr(*saves)

        async def while_another_actor_runs(*args: Any) -> None:
            await second.get("old")  # the first lets go of what it holds
            await save(*args)

        setattr(*saves, while_another_actor_runs)
        await first.commit()
        return await first.get("new"), await first.get("old"), store.stored("learner-1")

    assert asyncio.run(scenario()) == (2, None, {"new": 2})


def test_a_deactivated_actors_state_leaves_the_holders() -> None:
    async def scenario() -> ValueHolders:
        holders = ValueHolders(2)
        states, _, _ = plain_states(32, holders)
        for state in states[:2]:
            await state.get("knowledge")
        assert len(holders) == 2
        del states, state
        return holders

    holders = asyncio.run(scenario())
    gc.collect()
    assert len(holders) == 0


def test_an_actor_bound_to_the_process_holders_holds_its_values_through_them() -> None:
    holders = ValueHolders(1)
    host = ActorHost(Probe, SETTINGS)
    Probe.bind(host.publisher, SETTINGS, holders)  # type: ignore[arg-type]
    first, second = host.actor("learner-1"), host.actor("learner-2")
    host.store.values[("learner-1", "knowledge")] = b'{"topics": 3}'
    host.store.values[("learner-2", "knowledge")] = b'{"topics": 4}'

    async def scenario() -> list[str]:
        await first.state.get("knowledge")
        await second.state.get("knowledge")
        await first.state.get("knowledge")
        return host.store.reads

    assert asyncio.run(scenario()) == ["knowledge", "knowledge", "knowledge"]
    assert len(holders) == 1


def test_a_process_where_no_actor_may_hold_values_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one actor"):
        ValueHolders(0)
