"""Posts to a Discord forum channel: one thread each, the forum's tags applied, edited in place.

Real discord.py against the loopback fake over HTTP on 127.0.0.1, through the real outbox and
Dispatcher on a SQLite file (tests/forum_stack.py).
"""

from __future__ import annotations

from dataclasses import replace

import discord
import pytest

from adapters.discord.forum import shorten_tag, wanted_tags
from bot.features.admin.store import ANNOUNCEMENTS
from bot.messages import Message, text
from tests import forum_stack
from tests.discord_stack import DiscordStack, text_of
from tests.fakes.discord_fake import ROUTE_CHANNEL_GET, ROUTE_MESSAGE_CREATE, ROUTE_MESSAGE_EDIT
from tests.fakes.discord_fixtures import FAKE_APPLICATION_ID, FAKE_GUILD_ID, FAKE_OTHER_CHANNEL_ID
from tests.fakes.discord_forum_fake import ROUTE_CHANNEL_EDIT
from tests.forum_stack import FORUM_ID, creates, lead, point_at, queue, row, starter

forum_fake = forum_stack.forum_fake
stack = forum_stack.stack


# ------------------------------------------------------------------ posting


@pytest.mark.asyncio
async def test_a_post_to_a_forum_becomes_one_thread_with_its_tags(stack: DiscordStack) -> None:
    fake = stack.fake
    fake.set_forum_tags(FORUM_ID, ["Spatial Mixing", "live sound", "mastering"])
    outbox_id = await queue(stack, lead("spatial   mixing", "LIVE SOUND"))

    await stack.engine.tick()

    (thread,) = fake.threads_in(FORUM_ID)
    assert thread["name"] == "Spatial mix for a podcast"
    assert int(thread["owner_id"]) == FAKE_APPLICATION_ID
    assert fake.applied_tag_names(int(thread["id"])) == ["Spatial Mixing", "live sound"]
    message = starter(fake, thread)
    assert message["id"] == thread["id"]  # the starter message has the thread's id
    shown = text_of(message)
    assert "Eight episodes" in shown
    assert "400-600 EUR per day" in shown
    assert "spatial mixing \u00b7 LIVE SOUND" in shown  # the tags as text too
    assert "Forum tags to add" not in shown
    assert [c["label"] for r in message["components"] for c in r["components"]] == [
        "I'm interested"
    ]
    (create,) = creates(fake)
    assert create.json["message"]["allowed_mentions"]["parse"] == []
    assert not fake.find(ROUTE_MESSAGE_CREATE)  # no plain message anywhere
    assert not fake.find(ROUTE_CHANNEL_EDIT)  # every tag existed
    item = await row(stack, outbox_id)
    assert (item.status.value, item.channel_ref, item.message_ref) == (
        "delivered",
        thread["id"],
        thread["id"],
    )


@pytest.mark.asyncio
async def test_a_forum_is_read_once_and_every_message_becomes_its_own_post(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    for n in range(3):
        await queue(stack, Message(body=text(f"Clinic {n} moved\nto Thursday")))

    await stack.engine.tick()

    threads = fake.threads_in(FORUM_ID)
    # No title: the body's first line names the post.
    assert sorted(t["name"] for t in threads) == [
        "Clinic 0 moved",
        "Clinic 1 moved",
        "Clinic 2 moved",
    ]
    assert all(t["applied_tags"] == [] for t in threads)
    forum_reads = [r for r in fake.find(ROUTE_CHANNEL_GET) if r.path == f"/channels/{FORUM_ID}"]
    assert len(forum_reads) == 1


@pytest.mark.asyncio
async def test_missing_tags_are_added_to_the_forum_when_the_bot_may(stack: DiscordStack) -> None:
    fake = stack.fake
    fake.manage_channels.add(FORUM_ID)
    (kept,) = fake.set_forum_tags(FORUM_ID, ["mastering"])

    await queue(stack, lead("Mastering", "live sound", "low-latency monitoring engineering"))
    await stack.engine.tick()

    # Shortened to Discord's 20 characters at a word, the forum's own tag kept as it was.
    assert fake.forum_tags(FORUM_ID) == ["mastering", "live sound", "low-latency"]
    assert fake.channel_payload(FORUM_ID)["available_tags"][0] == kept
    (thread,) = fake.threads_in(FORUM_ID)
    assert fake.applied_tag_names(int(thread["id"])) == ["mastering", "live sound", "low-latency"]
    assert "Forum tags to add" not in text_of(starter(fake, thread))
    (patch,) = fake.find(ROUTE_CHANNEL_EDIT)
    assert patch.status == 200


@pytest.mark.asyncio
async def test_a_full_forum_gets_no_more_tags_and_the_post_names_the_rest(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    fake.manage_channels.add(FORUM_ID)
    fake.set_forum_tags(FORUM_ID, [f"skill {n}" for n in range(18)])

    await queue(stack, lead("skill 3", "live sound", "mastering", "room calibration"))
    await stack.engine.tick()

    tags = fake.forum_tags(FORUM_ID)
    assert len(tags) == 20  # Discord's most
    assert tags[18:] == ["live sound", "mastering"]
    (thread,) = fake.threads_in(FORUM_ID)
    assert fake.applied_tag_names(int(thread["id"])) == ["skill 3", "live sound", "mastering"]
    shown = text_of(starter(fake, thread))
    assert "Forum tags to add\nroom calibration\n(this forum has Discord's 20 tags" in shown
    assert all(len(p.json["available_tags"]) <= 20 for p in fake.find(ROUTE_CHANNEL_EDIT))


@pytest.mark.asyncio
async def test_without_manage_channels_the_post_goes_out_and_names_the_tags_to_add(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    fake.set_forum_tags(FORUM_ID, ["mastering"])
    first = await queue(stack, lead("mastering", "live sound", "<@&1> @everyone"))

    await stack.engine.tick()

    (refused,) = fake.find(ROUTE_CHANNEL_EDIT)
    assert (refused.status, refused.response["code"]) == (403, 50013)
    assert fake.forum_tags(FORUM_ID) == ["mastering"]
    (thread,) = fake.threads_in(FORUM_ID)
    assert fake.applied_tag_names(int(thread["id"])) == ["mastering"]
    shown = text_of(starter(fake, thread))
    assert "Forum tags to add\nlive sound, <\u200b@&1> @\u200beveryone" in shown
    assert "@everyone" not in shown
    assert "<@&" not in shown
    assert (await row(stack, first)).status.value == "delivered"

    # The refusal is remembered: the next post doesn't ask again, and says the same.
    await queue(stack, lead("live sound", title="Monitor engineer"))
    await stack.engine.tick()
    assert len(fake.find(ROUTE_CHANNEL_EDIT)) == 1
    second = next(t for t in fake.threads_in(FORUM_ID) if t["name"] == "Monitor engineer")
    assert "Forum tags to add\nlive sound" in text_of(starter(fake, second))


@pytest.mark.asyncio
async def test_an_admin_adding_a_tag_by_hand_is_seen_at_the_next_post(stack: DiscordStack) -> None:
    fake = stack.fake
    await queue(stack, lead("live sound"))
    await stack.engine.tick()
    fake.set_forum_tags(FORUM_ID, ["Live Sound"])  # the admin read the note

    await queue(stack, lead("live sound", title="Second"))
    await stack.engine.tick()

    second = next(t for t in fake.threads_in(FORUM_ID) if t["name"] == "Second")
    assert fake.applied_tag_names(int(second["id"])) == ["Live Sound"]
    assert "Forum tags to add" not in text_of(starter(fake, second))


@pytest.mark.asyncio
async def test_a_tag_deleted_since_the_forum_was_read_is_looked_up_again(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    fake.set_forum_tags(FORUM_ID, ["live sound"])
    await queue(stack, lead("live sound", title="First"))
    await stack.engine.tick()
    # An admin deletes the tag and makes it again: the id the bot knows is gone.
    fake.set_forum_tags(FORUM_ID, ["Live Sound"])

    second = await queue(stack, lead("live sound", title="Second"))
    await stack.engine.tick()

    assert [r.status for r in creates(fake)] == [201, 400, 201]
    thread = next(t for t in fake.threads_in(FORUM_ID) if t["name"] == "Second")
    assert fake.applied_tag_names(int(thread["id"])) == ["Live Sound"]
    assert (await row(stack, second)).message_ref == thread["id"]


@pytest.mark.asyncio
async def test_a_forum_requiring_tags_holds_a_post_none_of_whose_tags_exist_for_an_admin(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    fake.require_tags(FORUM_ID)
    fake.set_forum_tags(FORUM_ID, ["mastering"])
    outbox_id = await queue(stack, lead("live sound"))

    await stack.engine.tick()

    assert not creates(fake)  # Discord would refuse it
    item = await row(stack, outbox_id)
    assert item.status.value == "pending"
    assert item.attempts == 0  # waiting for an admin uses up no tries
    assert "requires a tag" in (item.last_error or "")

    fake.set_forum_tags(FORUM_ID, ["mastering", "Live sound"])  # the admin adds it
    await point_at(stack, FORUM_ID)  # and runs /admin channel again
    await stack.engine.tick()

    (thread,) = fake.threads_in(FORUM_ID)
    assert fake.applied_tag_names(int(thread["id"])) == ["Live sound"]
    assert (await row(stack, outbox_id)).status.value == "delivered"


@pytest.mark.asyncio
async def test_more_than_five_tags_apply_the_first_five(stack: DiscordStack) -> None:
    fake = stack.fake
    names = ["a1", "b2", "c3", "d4", "e5", "f6", "g7"]
    fake.set_forum_tags(FORUM_ID, reversed(names))

    await queue(stack, lead(*names, "A1"))
    await stack.engine.tick()

    (thread,) = fake.threads_in(FORUM_ID)
    assert fake.applied_tag_names(int(thread["id"])) == names[:5]
    assert "a1 \u00b7 b2 \u00b7 c3 \u00b7 d4 \u00b7 e5 \u00b7 f6 \u00b7 g7" in text_of(
        starter(fake, thread)
    )


def test_tags_are_shortened_to_twenty_characters_sensibly() -> None:
    assert shorten_tag("low-latency monitoring engineer") == "low-latency"
    assert shorten_tag("spatial audio mixing engineer") == "spatial audio mixing"
    assert shorten_tag("  live   sound ") == "live sound"
    assert shorten_tag("supercalifragilisticexpialidocious") == "supercalifragilisti\u2026"
    assert all(len(shorten_tag(t)) <= 20 for t in ("x" * 40, "ab " * 20, "a-" * 30))
    assert wanted_tags(["Live Sound", "live  sound", "a", "b", "c", "d", "e"]) == [
        "Live Sound",
        "a",
        "b",
        "c",
        "d",
    ]


# ------------------------------------------------------------------ editing


@pytest.mark.asyncio
async def test_an_edit_changes_the_post_and_its_tags_in_place(stack: DiscordStack) -> None:
    fake = stack.fake
    fake.set_forum_tags(FORUM_ID, ["live sound", "mastering", "mixing"])
    post = await queue(stack, lead("live sound", "mastering"))
    await stack.engine.tick()
    (thread,) = fake.threads_in(FORUM_ID)

    edited = lead("live sound", "mixing", title="Spatial mix (filled)", body="Filled, thanks")
    await queue(stack, edited, edit_of=post)
    await stack.engine.tick()

    (same,) = fake.threads_in(FORUM_ID)
    assert same["id"] == thread["id"]
    assert same["name"] == "Spatial mix (filled)"
    assert fake.applied_tag_names(int(same["id"])) == ["live sound", "mixing"]
    message = starter(fake, same)
    assert "Filled, thanks" in text_of(message)
    assert "Eight episodes" not in text_of(message)
    assert message["edited_timestamp"] is not None
    (edit,) = fake.find(ROUTE_MESSAGE_EDIT)
    assert edit.path == f"/channels/{thread['id']}/messages/{thread['id']}"
    assert not fake.find(ROUTE_MESSAGE_CREATE)
    assert len(creates(fake)) == 1

    # The same tags and name again: only the words change.
    patches = len(fake.find(ROUTE_CHANNEL_EDIT))
    await queue(stack, replace(edited, body=text("Filled by Ada")), edit_of=post)
    await stack.engine.tick()
    assert len(fake.find(ROUTE_CHANNEL_EDIT)) == patches
    assert "Filled by Ada" in text_of(starter(fake, same))


@pytest.mark.asyncio
async def test_an_archived_post_is_reopened_for_an_edit_and_archived_again(
    stack: DiscordStack,
) -> None:
    fake = stack.fake
    _, expired = fake.set_forum_tags(FORUM_ID, ["calibration", "expired"])
    post = await queue(stack, lead("calibration", title="Calibration audit"))
    await stack.engine.tick()
    (thread,) = fake.threads_in(FORUM_ID)
    fake.archive_thread(int(thread["id"]))  # idle for a week

    await queue(stack, lead("expired", title="Calibration audit", body="Expired"), edit_of=post)
    await stack.engine.tick()

    assert "Expired" in text_of(starter(fake, thread))
    assert fake.applied_tag_names(int(thread["id"])) == ["expired"]
    assert fake.thread_archived(int(thread["id"]))
    assert [r.json for r in fake.find(ROUTE_CHANNEL_EDIT)] == [
        {"archived": False},
        {"applied_tags": [expired["id"]], "archived": True},
    ]
    assert all(r.status == 200 for r in fake.find(ROUTE_CHANNEL_EDIT))


# ------------------------------------------------------------------ elsewhere


@pytest.mark.asyncio
async def test_a_text_channel_gets_a_plain_message_as_before(stack: DiscordStack) -> None:
    fake = stack.fake
    await point_at(stack, FAKE_OTHER_CHANNEL_ID)
    outbox_id = await queue(stack, lead("live sound"))

    await stack.engine.tick()

    (posted,) = fake.find(ROUTE_MESSAGE_CREATE)
    assert posted.path == f"/channels/{FAKE_OTHER_CHANNEL_ID}/messages"
    assert "Tags\nlive sound" in text_of(posted.json)
    assert not creates(fake)
    assert not fake.find(ROUTE_CHANNEL_GET)  # the gateway said it's a text channel
    item = await row(stack, outbox_id)
    assert (item.channel_ref, item.message_ref) == (
        str(FAKE_OTHER_CHANNEL_ID),
        posted.response["id"],
    )


@pytest.mark.asyncio
async def test_admin_channel_typed_in_a_forum_post_picks_the_forum(stack: DiscordStack) -> None:
    fake = stack.fake
    await point_at(stack, FAKE_OTHER_CHANNEL_ID)
    # A post in the forum to type the command in (members' posts look the same).
    await point_at(stack, FORUM_ID)
    await queue(stack, lead(title="Welcome"))
    await stack.engine.tick()
    (thread,) = fake.threads_in(FORUM_ID)
    await point_at(stack, FAKE_OTHER_CHANNEL_ID)

    await stack.command(
        "admin channel", {"purpose": ANNOUNCEMENTS}, admin=True, channel_id=int(thread["id"])
    )

    community, _ = await stack.member()
    assert (await stack.store.channels(community.id))[ANNOUNCEMENTS] == str(FORUM_ID)


# ------------------------------------------------------------------ the fake itself


@pytest.mark.asyncio
async def test_the_fake_forum_answers_discord_py_as_discord_does(stack: DiscordStack) -> None:
    fake, client = stack.fake, stack.adapter.client
    fake.set_forum_tags(FORUM_ID, [f"tag {n}" for n in range(6)])
    forum = await client.fetch_channel(FORUM_ID)
    assert isinstance(forum, discord.ForumChannel)
    tags = forum.available_tags
    assert [t.name for t in tags] == [f"tag {n}" for n in range(6)]

    made = await forum.create_thread(name="Hello", content="First post", applied_tags=tags[:5])
    assert made.thread.id == made.message.id
    assert (made.thread.parent_id, made.thread.owner_id) == (FORUM_ID, FAKE_APPLICATION_ID)
    assert made.thread.type is discord.ChannelType.public_thread
    with pytest.raises(discord.HTTPException) as six:
        await forum.create_thread(name="Six", content="x", applied_tags=tags)
    assert (six.value.status, six.value.code) == (400, 50035)
    assert "applied_tags" in six.value.text
    with pytest.raises(discord.HTTPException) as unnamed:
        await forum.create_thread(name="", content="x")
    assert (unnamed.value.status, unnamed.value.code) == (400, 50035)
    fake.require_tags(FORUM_ID)
    with pytest.raises(discord.HTTPException) as untagged:
        await forum.create_thread(name="Untagged", content="x")
    assert (untagged.value.status, untagged.value.code) == (400, 40067)
    fake.require_tags(FORUM_ID, False)
    assert len(fake.threads_in(FORUM_ID)) == 1

    with pytest.raises(discord.Forbidden) as refused:
        await forum.edit(available_tags=[*tags, discord.ForumTag(name="new")])
    assert refused.value.code == 50013
    fake.manage_channels.add(FORUM_ID)
    for wrong in (
        [discord.ForumTag(name="x" * 21)],
        [discord.ForumTag(name=f"{n}") for n in range(21)],
    ):
        with pytest.raises(discord.HTTPException) as invalid:
            await forum.edit(available_tags=wrong)
        assert (invalid.value.status, invalid.value.code) == (400, 50035)
    edited = await forum.edit(available_tags=[*tags, discord.ForumTag(name="new")])
    assert isinstance(edited, discord.ForumChannel)
    assert [t.id for t in edited.available_tags][:6] == [t.id for t in tags]
    assert fake.forum_tags(FORUM_ID)[-1] == "new"

    await made.thread.edit(applied_tags=[tags[5]])
    assert fake.applied_tag_names(made.thread.id) == ["tag 5"]
    active = await client.http.get_active_threads(FAKE_GUILD_ID)
    assert [t["id"] for t in active["threads"]] == [str(made.thread.id)]
    fake.archive_thread(made.thread.id)
    assert (await client.http.get_active_threads(FAKE_GUILD_ID))["threads"] == []
    with pytest.raises(discord.HTTPException) as archived:
        await made.message.edit(content="Too late")
    assert archived.value.code == 50083
