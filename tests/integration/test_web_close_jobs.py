"""The close's pages: the clerk's 结账 button asks for the close and shows the job page, which
reloads itself until the worker is done and then links to the batches; a second click shows
the same job; refusals are flash messages in words and leave no job; a failed job says why in
Chinese; only a clerk (or admin) may ask, staff may watch. The job itself:
tests/integration/test_close_jobs.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select, update

from loanledger.persistence.tables import Batch, CloseJob, User
from loanledger.services import close_jobs
from loanledger.web import dashboard as dashboard_pages
from tests.support.web import CONFIRMED, Web, flashes, text
from tests.support.world import claim_world

PERIOD = "2023-03"  # claim_world: business date 2023-04-03, two batches when closed
ASCII_WORD = re.compile(r"\b[A-Za-z_]{4,}\b")


@pytest.fixture
def march(staff, bank, app):
    for username, role in (("clerk1", "clerk"), ("approver1", "approver"), ("admin1", "admin")):
        staff.create(username, role, password=f"{username}-password")
    staff.create("ent1", "enterprise", password="ent1-password", uscc="914420006FA300000G")
    return claim_world(staff, bank)


def signed_in(app, username: str) -> Web:
    web = Web(app)
    web.login(username, f"{username}-password")
    return web


def drain(app) -> list[int]:
    return close_jobs.drain(app.extensions["loanledger"].sessionmaker)


def body_text(html: str) -> str:
    """What a reader sees: the page's <main> without tags, attributes or URLs."""
    main = html.split("<main>", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


def test_the_button_asks_for_the_close_and_the_page_follows_it_to_the_batches(march, app, db):
    clerk = signed_in(app, "clerk1")
    asked = clerk.post("/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau")
    assert re.fullmatch(r"/bureau/close-jobs/\d+", asked.request.path)
    page = text(asked)
    assert flashes(asked, "success") == ["2023-03 结账已开始，本页显示进度。"]
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'data-status="pending"' in page and "排队中" in page
    assert "结账已排队，几秒钟内开始。" in page and "clerk1" in page

    again = clerk.post("/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau")
    assert again.request.path == asked.request.path  # the open job, not a second one
    assert flashes(again, "success") == ["2023-03 的结账已在进行中，本页显示进度。"]
    assert db.scalar(select(func.count()).select_from(CloseJob)) == 1
    dashboard = text(clerk.get("/bureau"))
    assert (
        f'href="{asked.request.path}"' in dashboard and "2023-03 结账排队中，查看进度" in dashboard
    )

    assert len(drain(app)) == 1
    done = clerk.get(asked.request.path)
    page = text(done)
    assert 'http-equiv="refresh"' not in page and 'data-status="done"' in page
    assert "2023-03 已结账，共核算 2 笔贷款。" in page
    links = re.findall(r'class="close-job-batch" href="(/bureau/batches/\d+)"', page)
    assert len(links) == 2 and all(clerk.get(link).status_code == 200 for link in links)
    assert f"/bureau/periods/{PERIOD}/reconciliation" in page
    assert not ASCII_WORD.findall(body_text(page)), ASCII_WORD.findall(body_text(page))
    assert "查看进度" not in text(clerk.get("/bureau"))  # no open job left


def test_the_job_page_shows_the_progress_of_a_running_close(march, app, db):
    clerk = signed_in(app, "clerk1")
    path = clerk.post(
        "/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau"
    ).request.path
    job = db.scalar(select(CloseJob))
    job.status, job.loans_done, job.loans_total = "running", 1200, 34567  # as a worker writes it
    db.commit()
    page = text(clerk.get(path))
    assert '<progress value="1200" max="34567">' in page
    assert "已核算 1,200 / 34,567 笔贷款" in page and "结账中" in page


def test_the_job_names_who_asked_by_display_name_and_the_scheduler_in_words(march, app, db):
    """The one name helper (web/names.py `person`): a person by display name, the scheduler
    in words, never `user:clerk1` or `scheduler`."""
    db.execute(update(User).where(User.username == "clerk1").values(display_name="张敏"))
    db.commit()
    clerk = signed_in(app, "clerk1")
    path = clerk.post(
        "/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau"
    ).request.path
    asked = re.search(r"申请人</th><td>(.*?)</td>", text(clerk.get(path)))[1]
    assert asked == "张敏"
    db.execute(update(CloseJob).values(requested_by="scheduler"))
    db.commit()
    asked = re.search(r"申请人</th><td>(.*?)</td>", text(clerk.get(path)))[1]
    assert asked == "系统定时任务"


def test_refusals_are_words_and_leave_no_job(march, app, db):
    clerk = signed_in(app, "clerk1")
    early = clerk.post("/bureau/close", {"period": "2023-04", **CONFIRMED}, from_page="/bureau")
    assert early.request.path == "/bureau"
    assert flashes(early, "error") == ["该月份尚未结束，不能结账。"]
    malformed = clerk.post("/bureau/close", {"period": "2023-4", **CONFIRMED}, from_page="/bureau")
    assert flashes(malformed, "error") == ["月份格式应为 YYYY-MM。"]
    assert db.scalar(select(func.count()).select_from(CloseJob)) == 0
    clerk.post("/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau")
    drain(app)
    closed = clerk.post("/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau")
    assert flashes(closed, "error") == ["该月份已结账。"]
    assert db.scalar(select(func.count()).select_from(CloseJob)) == 1


def test_a_failed_job_says_why_in_chinese_and_offers_to_close_again(march, app, db):
    # asked for when it could be closed, refused when it ran (the business date went back)
    db.add(
        CloseJob(
            period="2023-04",
            requested_by="user:clerk1",
            requested_on=dt.date(2023, 4, 3),
            status="pending",
        )
    )
    db.commit()
    [job_id] = drain(app)
    clerk = signed_in(app, "clerk1")
    page = text(clerk.get(f"/bureau/close-jobs/{job_id}"))
    assert "结账未完成：该月份尚未结束，不能结账。" in page
    assert 'id="close-again"' in page and 'http-equiv="refresh"' not in page
    assert "period_not_over" not in page and "business date" not in page
    assert not ASCII_WORD.findall(body_text(page)), ASCII_WORD.findall(body_text(page))
    english = signed_in(app, "clerk1")
    english.client.get("/lang/en")
    page = text(english.get(f"/bureau/close-jobs/{job_id}"))
    assert "The close did not finish: " in page and "not finished" in page


def test_only_a_clerk_asks_and_staff_watch(march, app, db):
    clerk = signed_in(app, "clerk1")
    path = clerk.post(
        "/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau"
    ).request.path
    approver = signed_in(app, "approver1")
    assert (
        approver.post(
            "/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau"
        ).status_code
        == 403
    )
    watched = approver.get(path)
    assert watched.status_code == 200 and 'id="close-again"' not in text(watched)
    enterprise = signed_in(app, "ent1")
    assert enterprise.get(path).status_code == 403
    assert clerk.get("/bureau/close-jobs/999999").status_code == 404
    admin = signed_in(app, "admin1")  # admin acts as clerk: the same open job
    assert (
        admin.post(
            "/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau"
        ).request.path
        == path
    )


def test_the_job_page_names_the_clerk_by_display_name(march, app, db):
    db.execute(update(User).where(User.username == "clerk1").values(display_name="王会计"))
    db.commit()
    clerk = signed_in(app, "clerk1")
    page = text(clerk.post("/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau"))
    assert "<td>王会计</td>" in page and "user:clerk1" not in page


def test_the_dashboards_batches_are_sorted_and_paged(march, app, db, monkeypatch):
    """The shared sort and pager (read.BATCH_SORTS, web/listing.py, _macros.html), with the
    dashboard's own names (`bsort`, `bdir`, `bpage`)."""
    clerk = signed_in(app, "clerk1")
    clerk.post("/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau")
    drain(app)
    db.expire_all()
    by_total = [b.id for b in db.scalars(select(Batch).order_by(Batch.total_fen, Batch.id))]
    assert len(by_total) == 2

    def rows(path: str) -> list[int]:
        return [
            int(i)
            for i in re.findall(r'class="batch-row" data-batch-id="(\d+)"', text(clerk.get(path)))
        ]

    assert sorted(rows("/bureau")) == sorted(by_total)
    assert rows("/bureau?bsort=total") == by_total
    assert rows("/bureau?bsort=total&bdir=desc") == by_total[::-1]
    monkeypatch.setattr(dashboard_pages, "BATCHES_PAGE_SIZE", 1)
    first = text(clerk.get("/bureau?bsort=total"))
    assert 'id="batches-pager" data-count="2" data-page="1" data-pages="2"' in first
    assert 'id="batches-next-page" href="/bureau?bsort=total&amp;bpage=2"' in first
    assert rows("/bureau?bsort=total&bpage=2") == by_total[1:]
    assert 'data-sort="total"' in first and 'aria-sort="ascending"' in first
    bad = clerk.get("/bureau?bsort=holder")
    assert bad.status_code == 200 and flashes(bad, "error")
