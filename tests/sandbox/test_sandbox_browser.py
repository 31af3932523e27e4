"""The sandbox page in headless Chromium: what a newcomer does, step by step, with screenshots.

Each test acts as one demo person through the page only (typing, clicking), so everything goes
through the page's JavaScript, the sandbox API, signed requests to the bot and the bot's Web API
calls back into the emulator. Screenshots land in ``test-output/sandbox/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.conftest import Running

pytestmark = pytest.mark.browser

ML = "C0DEMOML01"
PRIYA, TOMAS, AISHA = "U0DEMO001", "U0DEMO002", "U0DEMO005"
Shot = Callable[[str], Path]


def act_as(page: Any, user: str) -> None:
    page.select_option("#who", user)
    page.wait_for_function(f"() => S.me === '{user}' && S.data && S.data.me === '{user}'")


def open_channel(page: Any, conversation: str) -> None:
    page.click(f"#sidebar li[data-conv='{conversation}']")


def run_next(page: Any) -> str:
    """Press *Run next scheduled event* and wait for its report."""
    before = page.text_content("#last-run") or ""
    page.click("#run-next")
    page.wait_for_function(
        "before => { const t = document.querySelector('#last-run').textContent;"
        " return t !== before && t.startsWith('Ran'); }",
        arg=before,
    )
    page.wait_for_function("() => !document.querySelector('#run-next').disabled")
    return page.text_content("#last-run") or ""


def test_a_slash_command_shows_its_ephemeral_answer(page: Any, shot: Shot) -> None:
    open_channel(page, ML)
    page.wait_for_selector("#messages .bk-header")
    shot("channel-with-digest")
    page.fill("#composer-input", "/kaizen log waited 3 days for the GPU quota again")
    page.press("#composer-input", "Enter")
    answer = page.wait_for_selector(".message.ephemeral:has-text('Logged')")
    assert "Only visible to you" in answer.inner_text()
    assert answer.query_selector("button[data-action-id]") is not None
    page.fill("#composer-input", "/kaizen help")
    page.press("#composer-input", "Enter")
    page.wait_for_selector(".message.ephemeral:has-text('/kaizen concern')")
    shot("ephemeral-answers")


def test_a_check_in_from_nudge_to_submitted_modal(page: Any, shot: Shot) -> None:
    act_as(page, AISHA)
    open_channel(page, page.eval_on_selector("#app-list li.conv", "li => li.dataset.conv"))
    nudges = "#messages button[data-action-id='checkin_answer']"
    before = len(page.query_selector_all(nudges))
    for _ in range(30):
        run_next(page)
        if len(page.query_selector_all(nudges)) > before:
            break
    page.wait_for_function(f'n => document.querySelectorAll("{nudges}").length > n', arg=before)
    shot("nudge-in-dm")
    page.query_selector_all(nudges)[-1].click()
    modal = page.wait_for_selector("#modal-root .dialog.modal")
    assert "Check-in" in modal.inner_text()
    answers = {
        "standup.yesterday": "Finished the model card template",
        "standup.today": "Drift dashboard for churn-v3",
        "standup.blockers": "Blocked 2 days waiting for the GPU quota from infra, again.",
    }
    for block_id, text in answers.items():
        page.fill(f"#modal-root textarea[data-block-id='{block_id}']", text)
    page.click("#modal-root button[type=submit]")
    # The other sets' questions are required too: the bot's errors show inline, typing kept.
    error = page.wait_for_selector("#modal-root .bk-error")
    assert "Please answer" in error.inner_text()
    assert (
        page.input_value("#modal-root textarea[data-block-id='standup.today']")
        == (answers["standup.today"])
    )
    error.scroll_into_view_if_needed()
    shot("check-in-modal-errors-inline")
    for box in page.query_selector_all("#modal-root .bk.has-error textarea"):
        box.fill("Nothing this week.")
    shot("check-in-modal-filled")
    page.click("#modal-root button[type=submit]")
    page.wait_for_selector("#modal-root .dialog", state="detached")
    page.wait_for_selector("#messages .replies-link")
    page.query_selector_all("#messages .replies-link")[-1].click()
    page.wait_for_selector("#thread-messages :text('check-in is in')")
    shot("check-in-acknowledged-in-thread")


def test_resolve_and_assign_concerns_from_the_digest(page: Any, shot: Shot) -> None:
    act_as(page, PRIYA)
    open_channel(page, ML)
    digest = page.locator("#messages .message", has=page.locator(".bk-header")).first
    resolve = digest.locator("button[data-action-id='concern_resolve']")
    count = resolve.count()
    assert count >= 2
    digest.locator("button[data-action-id='concern_assign']").last.click()
    page.wait_for_selector("#modal-root .dialog.modal:has-text('Assign concern')")
    page.select_option("#modal-root select[data-action-id]", TOMAS)
    shot("assign-modal")
    page.click("#modal-root button[type=submit]")
    page.wait_for_selector("#modal-root .dialog", state="detached")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#messages .message')]"
        ".some(m => m.textContent.includes('owner: Tomás'))"
    )
    resolve.first.click()
    page.wait_for_function(
        "n => document.querySelectorAll(\"#messages button[data-action-id='concern_resolve']\")"
        ".length < n",
        arg=count,
    )
    assert "(edited)" in digest.inner_text() and "Resolved" in digest.inner_text()
    digest.scroll_into_view_if_needed()
    shot("digest-after-resolve-and-assign")


def test_fast_forward_to_the_weekly_digest_with_its_chart(
    page: Any, shot: Shot, sandbox: Running
) -> None:
    open_channel(page, ML)
    headers = "#messages .bk-header"
    before = len(page.query_selector_all(headers))
    reports = []
    for _ in range(60):
        reports.append(run_next(page))
        if "digest" in reports[-1]:
            break
    assert "digest" in reports[-1], reports
    page.wait_for_function(f"n => document.querySelectorAll('{headers}').length > n", arg=before)
    shot("digest-posted")
    latest = page.locator("#messages .message", has=page.locator(".bk-header")).last
    latest.locator(".replies-link").click()
    image = page.wait_for_selector("#thread-messages figure.file img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image)
    assert sandbox.sandbox.state.invalid_payloads == []
    shot("digest-chart-in-thread")


def test_mrkdwn_is_rendered_like_slack(page: Any) -> None:
    html = page.evaluate(
        """() => mrkdwn('*bold* _it_ ~gone~ `a<b` &lt;not a tag&gt; &amp; <@U0DEMO002> '
            + '<https://example.com|a link> <!date^1700000000^{date}|Nov 14> <javascript:x|bad>'
            + '\\n&gt; quoted *line*').innerHTML"""
    )
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html and "<s>gone</s>" in html
    assert "<code>a&lt;b</code>" in html
    assert "&lt;not a tag&gt; &amp;" in html  # shown as the characters, never markup
    assert '<span class="mention">@Tomás</span>' in html
    assert 'href="https://example.com"' in html and ">a link</a>" in html
    assert "Nov 14" in html and "javascript" not in html
    assert "<blockquote><div>quoted <strong>line</strong></div></blockquote>" in html


def test_the_other_surfaces_render(page: Any, shot: Shot) -> None:
    """App Home, the setup modal (checkboxes, radios, time pickers, selects), a message
    shortcut's multi-selects and a button's confirm dialog, each as the bot sends it."""
    act_as(page, TOMAS)
    open_channel(page, page.eval_on_selector("#app-list li.conv", "li => li.dataset.conv"))
    page.click("#tabs .tab[data-tab='home']")
    page.wait_for_selector("#home button[data-action-id]")
    assert "Concerns you own" in page.inner_text("#home")
    shot("app-home")

    act_as(page, PRIYA)  # an admin, and a member of #platform, where Kaizen is not set up yet
    open_channel(page, "C0DEMOPLAT")
    page.fill("#composer-input", "/kaizen setup")
    page.press("#composer-input", "Enter")
    modal = page.wait_for_selector("#modal-root .dialog.modal")
    assert modal.query_selector("input[type=time]") and modal.query_selector("input[type=radio]")
    shot("setup-modal")
    page.click("#modal-root .dialog-footer button:not([type=submit])")
    page.wait_for_selector("#modal-root .dialog", state="detached")

    page.fill("#composer-input", "deploy waited two days on the platform review")
    page.press("#composer-input", "Enter")
    message = page.locator("#messages .message:has-text('deploy waited two days')").last
    message.hover()
    message.locator("button:has-text('Log as waste')").click()
    page.wait_for_selector("#modal-root .dialog.modal select[multiple]")
    shot("log-as-waste-modal")
    page.click("#modal-root button[aria-label=Close]")
    page.wait_for_selector("#modal-root .dialog", state="detached")

    page.fill("#composer-input", "/kaizen forget-me")
    page.press("#composer-input", "Enter")
    page.click("#messages button[data-action-id='forget_confirm']")
    dialog = page.wait_for_selector("#confirm-root .dialog.confirm")
    shot("confirm-dialog")
    dialog.query_selector("button:not(.danger):not(.primary)").click()  # keep the data
    assert page.query_selector("#confirm-root .dialog") is None
