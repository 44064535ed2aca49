"""The hub's bookkeeping, without a database: the reads it would make are handed in."""

from __future__ import annotations

from docket.live.changes import Change, Scope
from docket.live.hub import CLOSE, GAP_WAIT, QUEUE_SIZE, Batch, Hub, Subscriber
from tests.asyncrun import run_in_own_loop


def _change(event_id: int, issue: int = 1) -> Change:
    return Change(event_id, issue, 1, "WEB", issue, "changed", "priority", event_id)


def _delivered(subscriber: Subscriber) -> list[int]:
    ids = []
    while not subscriber.queue.empty():
        ids.extend(c.id for c in subscriber.queue.get_nowait().changes)
    return ids


def test_the_poller_delivers_late_commits_and_moves_past_rolled_back_ids():
    """Ids are taken at insert and seen at commit: 4 commits after 5, 7 never does."""
    committed: set[int] = set()
    clock = [100.0]

    def committed_after(after, *, below=None, skip=frozenset()):
        found = [i for i in sorted(committed) if i > after and (below is None or i < below)]
        return [_change(i) for i in found if i not in skip]

    hub = Hub(
        interval=1, fetch_latest=lambda: 0, read_after=committed_after, clock=lambda: clock[0]
    )
    subscriber = Subscriber(user_id=1, client="", scope=Scope())
    delivered: list[int] = []

    async def run() -> None:
        hub.subscribers.add(subscriber)
        committed.update({1, 2, 3, 5})
        await hub.tick()
        delivered.extend(_delivered(subscriber))
        assert delivered == [1, 2, 3, 5] and hub.floor == 3
        committed.add(4)  # the slow transaction commits
        await hub.tick()
        delivered.extend(_delivered(subscriber))
        assert delivered[-1] == 4 and hub.floor == 5
        committed.update({6, 8})  # 7 was rolled back
        await hub.tick()
        delivered.extend(_delivered(subscriber))
        assert delivered[-2:] == [6, 8] and hub.floor == 6
        clock[0] += GAP_WAIT + 1
        await hub.tick()
        assert hub.floor == 8 and not hub.seen
        assert len(delivered) == len(set(delivered)) == 7  # each event once

    run_in_own_loop(run())


def test_a_stuck_stream_is_closed_rather_than_buffering_forever():
    async def run() -> None:
        subscriber = Subscriber(user_id=1, client="", scope=Scope())
        hub = Hub(interval=1)
        hub.subscribers.add(subscriber)
        for n in range(QUEUE_SIZE + 5):
            hub.publish(Batch([_change(n + 1)]))
        items = []
        while not subscriber.queue.empty():
            items.append(subscriber.queue.get_nowait())
        assert items[-1] is CLOSE and len(items) <= QUEUE_SIZE

    run_in_own_loop(run())


def test_a_batch_goes_only_to_streams_that_follow_one_of_its_issues():
    async def run() -> None:
        one = Subscriber(user_id=1, client="", scope=Scope(issue_key="WEB-1", issue_id=1))
        two = Subscriber(user_id=1, client="", scope=Scope(issue_key="WEB-2", issue_id=2))
        everything = Subscriber(user_id=2, client="", scope=Scope())
        hub = Hub(interval=1)
        hub.subscribers.update({one, two, everything})
        hub.publish(Batch([_change(1, issue=1)]))
        assert (_delivered(one), _delivered(two), _delivered(everything)) == ([1], [], [1])

    run_in_own_loop(run())
