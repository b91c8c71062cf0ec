"""The work queue: the tasks waiting for the agency's clerks, the most urgent first, filtered and paged.

A clerk sees the tasks nobody has claimed and their own; a supervisor sees all of the
agency's, those waiting for an applicant's answer included (the engine decides which).
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import login_required

from app.db import db_session
from app.i18n import current_language
from app.packs import triage_engine
from app.staff import staff
from app.staff.access import staff_member
from app.staff.forms import QueueFilterForm
from app.staff.labels import PackNames
from workflows.db import utcnow
from workflows.tasks import QueueFilter, QueueFilterError, is_supervisor, queue_choices, queue_page
from workflows.tasks.queue import DEFAULT_PAGE_SIZE


@staff.get("/queue")
@login_required
def queue():
    member = staff_member()
    session = db_session()
    language = current_language()
    packs = triage_engine().packs
    names = PackNames(packs, language)
    form = QueueFilterForm(queue_choices(packs, member), names, formdata=request.args or None)
    context = {
        "form": form,
        "names": names,
        "agency": names.agency(member.agency_code),
        "supervisor": is_supervisor(member),
        "me": member.id,
    }
    try:
        filters = QueueFilter.parse(request.args)
    except QueueFilterError as error:  # only a hand-made address has a bad page number
        problems = [error.message.in_(language) for error in error.errors]
        return render_template("staff/queue.html", page=None, problems=problems, **context), 422
    page = queue_page(session, member, filters, utcnow())
    return render_template(
        "staff/queue.html",
        page=page,
        filtered=bool(filters.permit_code or filters.state or filters.municipality),
        page_url=lambda number: _page_url(filters, number),
        **context,
    )


def _page_url(filters: QueueFilter, number: int) -> str:
    """Another page of the queue, with the same filters."""
    given = {
        "permit": filters.permit_code,
        "state": filters.state,
        "municipality": filters.municipality,
        "page_size": filters.page_size if filters.page_size != DEFAULT_PAGE_SIZE else None,
    }
    return url_for("staff.queue", page=number, **{name: value for name, value in given.items() if value})
