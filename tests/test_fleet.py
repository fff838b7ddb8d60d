"""Three `crossfade run` processes on one PostgreSQL database, one SIGKILLed mid-fan-out.

3,000 members' weekly prompts come due at once; three real serving processes (separate OS
processes, tests/fleet.py) post them to the loopback Slack fake, and one is killed with
SIGKILL once some hundreds are in. Every member must get their prompt exactly once: the
killed process's leased rows are taken over by the others (a row it left 'sending' is
looked up on Slack first), and nothing is posted twice. How fast they do it is the
benchmark's (benchmarks/multi_process.py), not this test's.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.fakes.slack_fake import SlackFake
from tests.fleet import fan_out

MEMBERS = 3000
PROCESSES = 3
# The fake's raised workspace limit (posts a second); the processes pace at 90% of it.
LIMIT = 150.0
# A short outbox lease, so the killed process's rows come back within seconds (60 s in
# production, longer than any send's timeout; here a send takes milliseconds).
LEASE = 10.0
KILL_AFTER = 600
# Bounds on the whole run, not measurements: they end a hung run instead of stalling CI.
# The run needs about 35 s of CPU besides PostgreSQL's (three processes starting, deciding
# and posting 3,000 prompts, and the fake), so it takes longer on two busy cores.
DEADLINE = 240.0


@pytest.mark.timeout(DEADLINE + 60)
@pytest.mark.asyncio
async def test_three_processes_deliver_every_prompt_once_though_one_is_killed(
    slack_fake: SlackFake, postgres_db: str, tmp_path: Path
) -> None:
    run = await fan_out(
        slack_fake,
        postgres_db,
        tmp_path,
        members=MEMBERS,
        processes=PROCESSES,
        limit=LIMIT,
        lease=LEASE,
        kill_after=KILL_AFTER,
        timeout=DEADLINE,
    )

    # One process died by SIGKILL mid-fan-out; the other two stopped cleanly on SIGTERM.
    assert run.killed is not None
    assert run.exit_codes[run.killed.number] == -9
    assert [c for n, c in run.exit_codes.items() if n != run.killed.number] == [0, 0]

    # Every member's DM holds exactly one prompt, and nothing went anywhere else.
    wanted = {slack_fake.dm_channel_for(user) for user in run.members}
    assert set(run.posts) == wanted
    assert run.duplicates() == 0
    assert slack_fake.post_stats.accepted == MEMBERS
    prompts = [m for m in slack_fake.messages if m["channel"] in wanted]
    assert all(m["metadata"]["event_type"] == "crossfade_outbox" for m in prompts)
    assert len({m["metadata"]["event_payload"]["key"] for m in prompts}) == MEMBERS

    # The outbox agrees: one row per member, each delivered, recording the post Slack holds.
    assert Counter(r["status"] for r in run.rows) == {"delivered": MEMBERS}
    assert sorted(r["ext_id"] for r in run.rows) == sorted(run.members)
    posted = {m["channel"]: m["ts"] for m in prompts}
    assert all(posted[r["channel_ref"]] == r["message_ref"] for r in run.rows)

    # The killed process held leased rows when it died, and the others took every one over;
    # those it had left 'sending' were looked up on Slack before anything else was done.
    assert run.held_at_kill
    taken = {r["id"]: r for r in run.rows if r["id"] in set(run.held_at_kill)}
    assert len(taken) == len(run.held_at_kill)
    assert all(r["status"] == "delivered" for r in taken.values())
    looked_up = {c.params.get("channel") for c in slack_fake.calls("conversations.history")}
    assert {taken[i]["channel_ref"] for i in run.sending_at_kill} <= looked_up
