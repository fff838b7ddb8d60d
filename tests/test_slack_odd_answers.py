"""Slack answering a lookup with something that is not its JSON: the command still answers."""

from __future__ import annotations

import logging

import pytest

from tests import slack_stack as stack_module
from tests.slack_stack import SlackStack, texts_of
from tests.test_slack_http import START_ARGS

slack_stack = stack_module.slack_stack


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [200, 502])
async def test_a_users_info_answer_that_isnt_json_still_answers_the_command(
    slack_stack: SlackStack, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    fake = slack_stack.fake
    fake.add_user("U0ALICE", real_name="Alice Wu")
    fake.inject_fault("users.info", "html", status=status, stored=False)

    with caplog.at_level(logging.INFO):
        _, url = await slack_stack.command(START_ARGS)
        answer = await fake.wait_for_response(url)

    assert [c.fault for c in fake.calls("users.info")][:1] == ["html"]
    assert "Sprint started: Mix a 7.1.4 demo room" in texts_of(answer.body["blocks"])
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"
