"""An actor's values held in memory are bounded, and holding fewer never changes an answer.

The reference is the same state with a bound no call reaches (it holds every value it read or
committed, as before the bound); both run the same calls against stores of their own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dapr.actor import ActorInterface, Remindable, actormethod
from dapr.actor.runtime.state_change import StateChangeKind
from hypothesis import given, settings
from hypothesis import strategies as st

from learnflow_common.dapr.actor_state import ActorState, PlainKeyState, SdkActorState
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


operations = st.lists(
    st.one_of(
        st.tuples(st.just("get"), st.sampled_from(KEYS)),
        st.tuples(st.just("stage"), st.sampled_from(KEYS), st.integers(0, 3)),
        st.tuples(st.just("remove"), st.sampled_from(KEYS)),
        st.tuples(st.just("prefetch"), st.lists(st.sampled_from(KEYS), max_size=4)),
        st.just(("commit",)),
        st.just(("failed-commit",)),
    ),
    max_size=60,
)


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


async def run(state: ActorState, store: MemoryActorStore, actor: Any, calls: list[tuple[Any, ...]], cached: int) -> Any:
    answers: list[Any] = []
    for call in calls:
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
