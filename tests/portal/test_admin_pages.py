"""The secretary's pages: admitting and inviting members, importing members and founding
pay from CSV, suspending and departing, the co-op's settings; and who may use them."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from coop.models import Member, OutboxMessage, PayRecord
from coop.services import accounts
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import make_member
from tests.portal.conftest import text_of, with_password
from tests.portal.world import build_world


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


@pytest.fixture
def secretary(w, portal):
    portal.login(w.coop, w.ada)
    return portal


def member_by_email(db, w, email):
    return db.scalars(select(Member).where(Member.coop_id == w.coop.id, Member.email == email)).one_or_none()


def test_the_secretary_admits_a_member_and_gets_a_one_time_invitation_link(db, w, secretary, app):
    page = w.url("admin/members/new")
    response = secretary.post(page, {"name": "Nia Newcomer", "email": "Nia@Example.org", "role": "member",
                                     "status": "active"}, form_page=page)
    assert response.status_code == 200
    body = text_of(response)
    assert "Nia Newcomer is added as active. Their one-time invitation link" in body
    link = re.search(r'id="one-time-link">([^<]+)<', response.get_data(as_text=True)).group(1)
    nia = member_by_email(db, w, "nia@example.org")
    assert nia is not None and nia.status == "active" and nia.password_hash is None
    # The link works for Nia, in a browser of her own.
    from tests.portal.conftest import Portal

    hers = Portal(app.test_client())
    path = urlsplit(link).path
    done = hers.post(path, {"password": "nia's own secret", "password_again": "nia's own secret"}, form_page=path)
    assert done.status_code == 302 and done.headers["Location"].endswith(w.url("dashboard"))


@pytest.mark.parametrize("data, field, message", [
    ({"name": "", "email": "x@example.org"}, "name", "name"),
    ({"name": "Xavier", "email": "not-an-email"}, "email", "email"),
    ({"name": "Xavier", "email": "ben-dup"}, "email", "already"),
    ({"name": "Xavier", "email": "x@example.org", "role": "emperor"}, "role", "role"),
    ({"name": "Xavier\r\nBcc: attacker@evil.example", "email": "x@example.org"}, "name", "single line"),
])
def test_a_bad_admission_is_refused_beside_its_field_and_writes_nothing(db, w, secretary, data, field, message):
    data = {"role": "member", "status": "active", **data}
    if data["email"] == "ben-dup":
        data["email"] = w.ben.email
    before = snapshot(db)
    response = secretary.post(w.url("admin/members/new"), data, form_page=w.url("admin/members/new"))
    assert 400 <= response.status_code < 500
    assert message in text_of(response).split("There is a problem")[1].lower()
    assert f'id="e-{field}"' in response.get_data(as_text=True)
    assert_unchanged(db, before)


def test_the_secretary_suspends_reinstates_and_departs_a_member(db, w, secretary):
    page = w.url("admin/members")
    assert secretary.post(w.url(f"admin/members/{w.dan.id}/suspend"), {}, form_page=page).status_code == 302
    db.refresh(w.dan)
    assert w.dan.status == "suspended"
    assert secretary.post(w.url(f"admin/members/{w.dan.id}/reinstate"), {}, form_page=page).status_code == 302
    db.refresh(w.dan)
    assert w.dan.status == "active"
    assert secretary.post(w.url(f"admin/members/{w.dan.id}/depart"), {}, form_page=page).status_code == 302
    db.refresh(w.dan)
    assert w.dan.status == "departed"
    assert "Dan Dewey is now departed" in text_of(secretary.get(page))
    # Departure ends pay on the public record, with an entry that says why.
    history = text_of(secretary.get(w.url(f"pay/members/{w.dan.id}")))
    assert "departure" in history and "0.00" in history
    assert "3 paid members" in text_of(secretary.get(w.url("pay")))


def test_admitting_an_applicant_makes_them_active(db, w, secretary):
    applicant = make_member(db, w.coop, "Ann Applicant", status="applicant")
    response = secretary.post(w.url(f"admin/members/{applicant.id}/admit"), {}, form_page=w.url("admin/members"))
    assert response.status_code == 302
    db.refresh(applicant)
    assert applicant.status == "active"


def test_a_membership_change_that_does_not_apply_is_refused_and_changes_nothing(db, w, secretary):
    before = snapshot(db)
    response = secretary.post(w.url(f"admin/members/{w.dan.id}/admit"), {}, form_page=w.url("admin/members"))
    assert 400 <= response.status_code < 500
    assert "There is a problem" in text_of(response)
    assert_unchanged(db, before)


@pytest.fixture
def admin(db, w):
    """Lena, the co-op's admin, with a password of her own."""
    lena = make_member(db, w.coop, "Lena Luxemburg", role="admin", hourly_rate="24.00")
    with_password(db, lena)
    return lena


def test_a_secretary_is_never_shown_a_reset_link_for_a_member_with_a_password_it_is_mailed_to_them(
        db, w, secretary, admin):
    """A reset link shown to the secretary would let them set the member's password, log in
    as them and vote as them; for an admin, take the admin role too."""
    for member in (w.dan, admin):
        response = secretary.post(w.url(f"admin/members/{member.id}/link"), {}, form_page=w.url("admin/members"))
        assert response.status_code == 302
        page = secretary.get(response.headers["Location"])
        html = page.get_data(as_text=True)
        assert f"A password reset link was sent to their email ({member.email})" in text_of(page)
        assert "one-time-link" not in html and "/reset/" not in html
        mail = db.scalars(select(OutboxMessage).where(OutboxMessage.member_id == member.id)).one()
        assert mail.to_address == member.email and mail.kind == "password_reset"
        assert mail.link.startswith(f"/c/{w.coop.slug}/reset/")  # the sender puts the site's address first
        # The mailed link works for its member, and only once.
        token = mail.link.rsplit("/", 1)[1]
        assert accounts.redeem(db, w.coop, token, "their own new password", now=NOW).id == member.id


def test_a_secretary_cannot_make_an_admin_nor_suspend_or_depart_one(db, w, secretary, admin):
    before = snapshot(db)
    assert 'value="admin"' not in secretary.get(w.url("admin/members/new")).get_data(as_text=True)
    response = secretary.post(w.url("admin/members/new"), {"name": "Mallory", "email": "mallory@example.org",
                                                           "role": "admin", "status": "active"},
                              form_page=w.url("admin/members/new"))
    assert response.status_code == 403 and "only an admin may make someone an admin" in text_of(response)
    for verb in ("suspend", "depart"):
        response = secretary.post(w.url(f"admin/members/{admin.id}/{verb}"), {}, form_page=w.url("admin/members"))
        assert response.status_code == 403
        assert "only an admin may change the membership of an admin" in text_of(response)
    assert_unchanged(db, before)
    # The admin's row offers the secretary no membership buttons.
    listing = secretary.get(w.url("admin/members")).get_data(as_text=True)
    assert f'admin/members/{admin.id}/suspend' not in listing and f'admin/members/{w.dan.id}/suspend' in listing


def test_an_admin_makes_admins_and_changes_an_admins_membership(db, w, portal, admin):
    portal.login(w.coop, admin)
    other = make_member(db, w.coop, "Otto Other", role="admin")
    response = portal.post(w.url(f"admin/members/{other.id}/suspend"), {}, form_page=w.url("admin/members"))
    assert response.status_code == 302
    db.refresh(other)
    assert other.status == "suspended"
    page = w.url("admin/members/new")
    response = portal.post(page, {"name": "Nia Newcomer", "email": "nia@example.org", "role": "admin",
                                  "status": "active"}, form_page=page)
    assert response.status_code == 200 and member_by_email(db, w, "nia@example.org").role == "admin"


def test_a_secretarys_csv_import_may_not_add_an_admin(db, w, secretary):
    before = snapshot(db)
    csv_text = "name,email,role\nMallory,mallory@example.org,admin\n"
    for step in ("preview", "import"):
        response = secretary.post(w.url("admin/import"), {"csv": csv_text, "step": step},
                                  form_page=w.url("admin/import"))
        assert response.status_code == 422
        rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", response.get_data(as_text=True))
        assert ("2", "role", "only an admin may make someone an admin") in rows
    assert_unchanged(db, before)


CSV = ("name,email,role,hourly_rate,weekly_hours,supplements\n"
       "Eve Engel,eve@example.org,member,21.00,37.50,first aid:0.75:skills\n"
       "Finn Fox,finn@example.org,member,,,\n")


def test_a_csv_preview_shows_the_rows_and_writes_nothing_then_the_import_writes_them(db, w, secretary):
    page = w.url("admin/import")
    before = snapshot(db)
    preview = secretary.post(page, {"csv": CSV, "step": "preview"}, form_page=page)
    assert preview.status_code == 200
    body = text_of(preview)
    assert "No errors: importing adds 2 member(s) and 1 founding pay record(s)" in body
    assert "Eve Engel eve@example.org member active 21.00 37.50 first aid:0.75:skills" in body
    assert "Import 2 row(s)" in body
    assert_unchanged(db, before)
    done = secretary.post(page, {"csv": CSV, "step": "import"}, form_page=page)
    assert done.status_code == 302
    eve = member_by_email(db, w, "eve@example.org")
    assert eve is not None and member_by_email(db, w, "finn@example.org") is not None
    pay = db.scalars(select(PayRecord).where(PayRecord.member_id == eve.id)).one()
    assert str(pay.hourly_rate) == "21.00" and pay.authority == "founding"


def test_a_csv_file_upload_is_read_like_pasted_text(db, w, secretary):
    page = w.url("admin/import")
    response = secretary.post(page, {"file": (io.BytesIO(("\ufeff" + CSV).encode()), "members.csv"),
                                     "step": "preview"}, form_page=page, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "importing adds 2 member(s)" in text_of(response)


BAD = ("name,email,role,hourly_rate,weekly_hours\n"
       "Eve Engel,eve@example.org,member,21.00,37.50\n"
       "No Email,,member,,\n"
       "Gus Gold,gus@example.org,member,lots,37.50\n"
       "Ben Again,{ben},member,,\n")


@pytest.mark.parametrize("step", ["preview", "import"])
def test_csv_row_errors_are_listed_by_line_and_nothing_is_written(db, w, secretary, step):
    page = w.url("admin/import")
    before = snapshot(db)
    response = secretary.post(page, {"csv": BAD.format(ben=w.ben.email), "step": step}, form_page=page)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d+|whole file)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    lines = {int(line) for line, _, _ in rows if line.isdigit()}
    assert 3 in lines and 5 in lines, rows  # the missing email; Ben's email, already a member's
    assert "Import" not in text_of(response).split("Preview")[-1]  # no import button
    assert_unchanged(db, before)


def test_every_problem_of_a_row_is_listed_so_the_file_is_fixed_in_one_pass(db, w, secretary):
    csv = ("name,email,role,status\n"
           ",{ben},boss,departed\n"
           "Gus Gold,gus@example.org,member,active\n").format(ben=w.ben.email)
    page = w.url("admin/import")
    before = snapshot(db)
    response = secretary.post(page, {"csv": csv, "step": "preview"}, form_page=page)
    assert response.status_code == 422
    rows = re.findall(r"<tr><td>(\d+|whole file)</td><td>([^<]*)</td><td>([^<]*)</td></tr>",
                      response.get_data(as_text=True))
    assert [(line, column) for line, column, _ in rows] == [
        ("2", "name"), ("2", "email"), ("2", "role"), ("2", "status")], rows
    assert "already a member" in rows[1][2] and "got &#39;boss&#39;" in rows[2][2]
    assert "2 error(s)" not in text_of(response) and "4 error(s)" in text_of(response)
    assert_unchanged(db, before)


def test_a_pay_row_error_is_reported_on_its_line_of_the_file(db, w, secretary):
    csv = "name,email,hourly_rate,weekly_hours\nEve Engel,eve@example.org,,\nGus Gold,gus@example.org,lots,37.50\n"
    page = w.url("admin/import")
    before = snapshot(db)
    response = secretary.post(page, {"csv": csv, "step": "preview"}, form_page=page)
    assert response.status_code == 422
    rows = re.findall(r"<tr><td>(\d+|whole file)</td><td>([^<]*)</td><td>([^<]*)</td></tr>",
                      response.get_data(as_text=True))
    assert [r[0] for r in rows] == ["3"] and rows[0][1] == "hourly_rate", rows
    assert_unchanged(db, before)


@pytest.mark.parametrize("step", ["preview", "import"])
def test_one_preview_lists_the_member_and_pay_errors_of_every_row_in_column_order(db, w, secretary, step):
    # Line 2 is wrong in a member column and a pay column, line 4 only in a pay column.
    csv = ("name,email,hourly_rate,weekly_hours\n"
           "Eve Engel,not-an-email,lots,37.50\n"
           "Gus Gold,gus@example.org,20.00,30.00\n"
           "Hal Hart,hal@example.org,20.00,-4\n")
    page = w.url("admin/import")
    before = snapshot(db)
    response = secretary.post(page, {"csv": csv, "step": step}, form_page=page)
    assert response.status_code == 422
    rows = re.findall(r"<tr><td>(\d+|whole file)</td><td>([^<]*)</td><td>([^<]*)</td></tr>",
                      response.get_data(as_text=True))
    assert [(line, column) for line, column, _ in rows] == [
        ("2", "email"), ("2", "hourly_rate"), ("4", "weekly_hours")], rows
    assert "not-an-email" in rows[0][2] and "lots" in rows[1][2] and "-4" in rows[2][2]
    assert "3 error(s)" in text_of(response)
    assert_unchanged(db, before)


def test_an_empty_csv_is_refused_beside_the_field(db, w, secretary):
    before = snapshot(db)
    response = secretary.post(w.url("admin/import"), {"csv": "  ", "step": "preview"}, form_page=w.url("admin/import"))
    assert response.status_code == 422 and "choose a CSV file or paste its contents" in text_of(response)
    assert_unchanged(db, before)


def test_an_admin_renames_the_coop_and_makes_its_pages_private(db, w, portal, client):
    w.ada.role = "admin"
    db.flush()
    portal.login(w.coop, w.ada)
    page = w.url("admin/settings")
    before = snapshot(db)
    empty = portal.post(page, {"name": "  "}, form_page=page)
    assert empty.status_code == 422 and "a co-op needs a name" in text_of(empty)
    assert_unchanged(db, before)
    saved = portal.post(page, {"name": "Riverside Renamed"}, form_page=page)  # public_pages unchecked
    assert saved.status_code == 302
    db.refresh(w.coop)
    assert w.coop.name == "Riverside Renamed" and w.coop.public_pages is False
    portal.logout(w.coop)
    assert client.get(w.url("pay")).status_code == 302


def test_a_secretary_who_is_not_an_admin_cannot_change_the_settings(db, w, secretary):
    before = snapshot(db)
    assert secretary.get(w.url("admin/settings")).status_code == 403
    response = secretary.post(w.url("admin/settings"), {"name": "Hijacked", "public_pages": "on"},
                              form_page=w.url("admin/members"))
    assert response.status_code == 403
    assert_unchanged(db, before)


@pytest.mark.parametrize("method, path", [
    ("get", "admin/members"), ("get", "admin/members/new"), ("get", "admin/import"),
    ("post", "admin/members/new"), ("post", "admin/import"), ("post", "admin/members/{dan}/suspend"),
    ("post", "admin/members/{dan}/depart"), ("post", "admin/members/{dan}/link"),
])
def test_a_member_cannot_use_the_secretarys_pages(db, w, portal, method, path):
    portal.login(w.coop, w.ben)
    url = w.url(path.format(dan=w.dan.id))
    before = snapshot(db)
    if method == "get":
        response = portal.get(url)
    else:
        response = portal.post(url, {"name": "Mallory", "email": "mallory@example.org", "csv": CSV, "step": "import"},
                               form_page=w.url("dashboard"))
    assert response.status_code == 403
    assert "Not allowed" in text_of(response)
    assert_unchanged(db, before)


def test_a_visitor_is_sent_to_log_in(w, client):
    response = client.get(w.url("admin/members"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_secretary_nav_link_is_shown_to_secretaries_only(w, portal):
    portal.login(w.coop, w.ben)
    assert w.url("admin/members") not in portal.get(w.url("dashboard")).get_data(as_text=True)
    portal.logout(w.coop)
    portal.login(w.coop, w.ada)
    assert w.url("admin/members") in portal.get(w.url("dashboard")).get_data(as_text=True)
