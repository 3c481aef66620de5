"""Import your ratings through the Django test client: upload → review → confirm → summary.

Also: choosing among ambiguous candidates, ratings already on the site, a tampered movie id, a
double submission, another person's import, a database failure half-way, expiry and cancelling.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from tests.webapp.catalog_data import make_genres, make_member
from tests.webapp.test_app_dependencies import app_graph, imported_modules
from webapp.catalog.models import Movie, Rating
from webapp.catalog.search import forget_title_index
from webapp.catalog.services import rate_movie
from webapp.ratings_import.models import PendingImport
from webapp.ratings_import.parsers import MAX_ROWS
from webapp.ratings_import.services import (
    UPLOADS_PER_HOUR,
    ChoiceNotOffered,
    ImportAlreadyFinished,
    confirm_import,
)
from webapp.recommender.picks import plan_picks

pytestmark = pytest.mark.django_db
UPLOAD = reverse("ratings_import:upload")

FILMS = [
    ("The Godfather", 1972),
    ("Toy Story", 1995),
    ("Hamlet", 1990),
    ("Hamlet", 1996),
    ("Crash", 1996),
    ("Alien", 1979),
    ("Heat", 1995),
    ("Fargo", 1996),
]

LETTERBOXD = """Date,Name,Year,Letterboxd URI,Rating
2023-01-01,The Godfather,1972,https://boxd.it/a,5
2023-01-02,Toy Story,1995,https://boxd.it/b,3.5
2023-01-03,Hamlet,,https://boxd.it/c,4
2023-01-04,Crash,2004,https://boxd.it/d,2
2023-01-05,Parasite,2019,https://boxd.it/e,5
2023-01-06,Alien,1979,https://boxd.it/f,7
"""


@pytest.fixture(autouse=True)
def films():
    forget_title_index()
    make_genres()
    movies = Movie.objects.bulk_create([Movie(title=t, year=y) for t, y in FILMS])
    yield {(m.title, m.year): m for m in movies}
    forget_title_index()


@pytest.fixture
def member(client):
    user = make_member("importer")
    client.force_login(user)
    return user


def csv_file(text: str | bytes, name: str = "ratings.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(client, text=LETTERBOXD, name="ratings.csv"):
    return client.post(UPLOAD, {"file": csv_file(text, name)})


def uploaded(client, text=LETTERBOXD) -> PendingImport:
    response = upload(client, text)
    assert response.status_code == 302, response.content.decode()[:2000]
    pending = PendingImport.objects.get()
    assert response["Location"] == pending.get_absolute_url()
    return pending


def scores(user) -> dict[tuple[str, int], int]:
    return {
        (r.movie.title, r.movie.year): r.score
        for r in Rating.objects.filter(user=user).select_related("movie")
    }


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# ----------------------------------------------------------------------------- the whole flow
def test_upload_review_confirm_and_the_summary(client, member, films):
    assert client.get(UPLOAD).status_code == 200
    pending = uploaded(client)
    review = client.get(pending.get_absolute_url())
    page = text_of(review)
    assert review.status_code == 200
    assert "Detected format: Letterboxd (ratings.csv)" in page
    assert "Matched (2)" in page and "Choose the right movie (2)" in page
    assert "Not found or skipped (1)" in page and "Rows with errors (1)" in page
    assert "Row 7: Its rating “7” is outside 0.5–5." in page
    assert "3.5 → 4 ★" in page
    html = review.content.decode()
    # Matched rows are ticked by default; ambiguous rows default to "skip".
    assert re.search(r'<input type="checkbox" name="import_2"[^>]*checked', html)
    assert re.search(r'<input type="radio" name="choice_4" value="skip"[^>]*checked', html)
    hamlet_1996 = films[("Hamlet", 1996)]

    response = client.post(
        pending.get_absolute_url(),
        {"import_2": "on", "import_3": "on", "choice_4": str(hamlet_1996.pk), "choice_5": "skip"},
    )
    done = reverse("ratings_import:done", args=[pending.pk])
    assert response.status_code == 302 and response["Location"] == done
    assert scores(member) == {
        ("The Godfather", 1972): 5,
        ("Toy Story", 1995): 4,
        ("Hamlet", 1996): 4,
    }
    hamlet_1996.refresh_from_db()
    assert (hamlet_1996.rating_count, hamlet_1996.rating_mean) == (1, 4.0)
    summary = text_of(client.get(done))
    assert "3 imported, 2 skipped, 1 unmatched." in summary
    assert "See your picks" in summary


def test_unticked_rows_and_skipped_choices_are_not_imported(client, member, films):
    pending = uploaded(client)
    response = client.post(pending.get_absolute_url(), {"import_3": "on", "choice_4": "skip"})
    assert response.status_code == 302
    assert scores(member) == {("Toy Story", 1995): 4}
    pending.refresh_from_db()
    assert pending.summary["imported"] == 1 and pending.summary["skipped"] == 4


def test_the_picks_change_at_once(client, member, films):
    godfather = films[("The Godfather", 1972)]
    before = plan_picks(member)
    assert godfather.pk in before.movie_ids
    pending = uploaded(client)
    client.post(pending.get_absolute_url(), {"import_2": "on", "import_3": "on"})
    after = plan_picks(member)
    assert after.key != before.key
    assert godfather.pk not in after.movie_ids
    assert films[("Toy Story", 1995)].pk not in after.movie_ids


def test_a_year_from_another_release_is_chosen_explicitly(client, member, films):
    pending = uploaded(client)
    crash = films[("Crash", 1996)]
    page = text_of(client.get(pending.get_absolute_url()))
    assert "The catalogue has this title from 1996, not 2004." in page
    client.post(pending.get_absolute_url(), {"choice_5": str(crash.pk)})
    assert scores(member) == {("Crash", 1996): 2}


# ----------------------------------------------------------------------------- ratings on the site
def test_a_movie_already_rated_keeps_its_rating_unless_replaced(client, member, films):
    godfather = films[("The Godfather", 1972)]
    rate_movie(member, godfather, 2)
    pending = uploaded(client)
    page = text_of(client.get(pending.get_absolute_url()))
    assert "Already rated on SpikeLens (1)" in page and "Yours: 2 ★ · file: 5 ★" in page
    client.post(pending.get_absolute_url(), {"import_3": "on"})
    assert scores(member)[("The Godfather", 1972)] == 2
    assert PendingImport.objects.get().summary["kept"] == 1

    second = uploaded_again(client)
    client.post(second.get_absolute_url(), {"overwrite_2": "on"})
    assert scores(member)[("The Godfather", 1972)] == 5


def uploaded_again(client) -> PendingImport:
    assert upload(client).status_code == 302
    return PendingImport.objects.filter(status=PendingImport.Status.PENDING).get()


def test_a_movie_rated_between_review_and_confirm_keeps_the_site_rating(client, member, films):
    pending = uploaded(client)
    client.get(pending.get_absolute_url())
    rate_movie(member, films[("Toy Story", 1995)], 1)
    client.post(pending.get_absolute_url(), {"import_2": "on", "import_3": "on"})
    assert scores(member) == {("The Godfather", 1972): 5, ("Toy Story", 1995): 1}
    pending.refresh_from_db()
    assert pending.summary["kept"] == 1


# ----------------------------------------------------------------------------- hostile submissions
def test_a_tampered_movie_id_is_refused_and_nothing_is_imported(client, member, films):
    pending = uploaded(client)
    toy_story = films[("Toy Story", 1995)]
    response = client.post(
        pending.get_absolute_url(), {"import_2": "on", "choice_4": str(toy_story.pk)}
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "Row 4: that movie is not one of the choices offered for this row." in page
    assert "Nothing was imported" in page
    assert Rating.objects.count() == 0
    pending.refresh_from_db()
    assert pending.status == PendingImport.Status.PENDING
    for bogus in ("999999", "-1", "1 OR 1=1", "<script>"):
        assert client.post(pending.get_absolute_url(), {"choice_4": bogus}).status_code == 400
    assert Rating.objects.count() == 0


def test_the_service_checks_every_chosen_id_again(member, client, films):
    pending = uploaded(client)
    toy_story = films[("Toy Story", 1995)]
    with pytest.raises(ChoiceNotOffered):
        confirm_import(member, pending.pk, {4: toy_story.pk})
    with pytest.raises(ChoiceNotOffered):
        confirm_import(member, pending.pk, {6: toy_story.pk})  # an unmatched row
    with pytest.raises(ChoiceNotOffered):
        confirm_import(member, pending.pk, {99: toy_story.pk})  # no such row
    assert Rating.objects.count() == 0


def test_a_double_submission_imports_once(client, member, films):
    pending = uploaded(client)
    form = {"import_2": "on", "import_3": "on"}
    first = client.post(pending.get_absolute_url(), form)
    second = client.post(pending.get_absolute_url(), form, follow=True)
    assert first.status_code == 302
    assert second.redirect_chain[-1][0] == reverse("ratings_import:done", args=[pending.pk])
    assert "nothing was imported twice" in text_of(second)
    assert Rating.objects.filter(user=member).count() == 2
    assert Movie.objects.get(pk=films[("Toy Story", 1995)].pk).rating_count == 1
    with pytest.raises(ImportAlreadyFinished):
        confirm_import(member, pending.pk, {2: films[("The Godfather", 1972)].pk})


def test_another_persons_import_is_a_404(client, member, films):
    pending = uploaded(client)
    client.force_login(make_member("snoop"))
    for name in ("review", "done"):
        url = reverse(f"ratings_import:{name}", args=[pending.pk])
        assert client.get(url).status_code == 404
    assert client.post(pending.get_absolute_url(), {"import_2": "on"}).status_code == 404
    discard = reverse("ratings_import:discard", args=[pending.pk])
    assert client.post(discard).status_code == 404
    assert Rating.objects.count() == 0
    pending.refresh_from_db()
    assert pending.status == PendingImport.Status.PENDING


def test_anonymous_visitors_are_sent_to_log_in(client, films):
    for response in (client.get(UPLOAD), client.post(UPLOAD, {"file": csv_file(LETTERBOXD)})):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert PendingImport.objects.count() == 0


def test_a_database_failure_half_way_leaves_nothing_imported(client, member, films, monkeypatch):
    pending = uploaded(client)
    calls = []
    original = Rating.objects.update_or_create

    def fail_on_the_second(*args, **kwargs):
        calls.append(kwargs.get("movie_id"))
        if len(calls) == 2:
            raise DatabaseError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(Rating.objects, "update_or_create", fail_on_the_second)
    client.raise_request_exception = False
    response = client.post(pending.get_absolute_url(), {"import_2": "on", "import_3": "on"})
    assert response.status_code == 500
    assert len(calls) == 2  # the first rating was written before the failure, then rolled back
    assert Rating.objects.count() == 0
    assert set(Movie.objects.values_list("rating_count", flat=True)) == {0}
    pending.refresh_from_db()
    assert pending.status == PendingImport.Status.PENDING
    # Once the database is well again, the same review imports normally.
    monkeypatch.undo()
    client.raise_request_exception = True
    assert client.post(pending.get_absolute_url(), {"import_2": "on"}).status_code == 302
    assert Rating.objects.count() == 1


# ----------------------------------------------------------------------------- expiry, cancelling
def test_an_expired_import_is_gone(client, member):
    pending = uploaded(client)
    PendingImport.objects.filter(pk=pending.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(pending.get_absolute_url()).status_code == 410
    response = client.post(pending.get_absolute_url(), {"import_2": "on"})
    assert response.status_code == 410 and "waited longer" in text_of(response)
    assert Rating.objects.count() == 0


def test_cancelling_imports_nothing(client, member):
    pending = uploaded(client)
    response = client.post(reverse("ratings_import:discard", args=[pending.pk]), follow=True)
    assert "nothing was imported" in text_of(response)
    assert client.get(pending.get_absolute_url()).status_code == 410
    assert client.post(pending.get_absolute_url(), {"import_2": "on"}).status_code == 410
    assert Rating.objects.count() == 0


# ----------------------------------------------------------------------------- other formats
def test_an_imdb_export_lists_tv_rows_as_not_movies(client, member, films):
    text = (
        "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
        "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"
        "tt1,8,2023-01-01,Heat,Heat,u,Movie,8.3,170,1995,Crime,1,1995-12-15,Michael Mann\n"
        "tt2,9,2023-01-02,Fargo,Fargo,u,TV Series,8.9,53,2014,Crime,1,2014-04-15,\n"
    )
    pending = uploaded(client, text)
    page = text_of(client.get(pending.get_absolute_url()))
    assert "Detected format: IMDb ratings export" in page
    assert "8/10 → 4 ★" in page and "Not a movie (“TV Series”)." in page
    client.post(pending.get_absolute_url(), {"import_2": "on"})
    assert scores(member) == {("Heat", 1995): 4}
    done = text_of(client.get(reverse("ratings_import:done", args=[pending.pk])))
    assert "1 imported, 1 skipped, 0 unmatched." in done and "1 row was not a movie." in done


def test_a_movielens_file_with_semicolons_and_a_bom(client, member, films):
    text = "\ufeffmovieId;title;rating;timestamp\n1;Toy Story (1995);4,5;964982703\n"
    pending = uploaded(client, text.encode("utf-8"))
    assert "MovieLens ratings with titles" in text_of(client.get(pending.get_absolute_url()))
    client.post(pending.get_absolute_url(), {"import_2": "on"})
    assert scores(member) == {("Toy Story", 1995): 5}


def test_a_file_rating_one_movie_twice_imports_the_later_row(client, member, films):
    text = "title,year,rating\nHeat,1995,2\nHeat,1995,5\n"
    pending = uploaded(client, text)
    page = text_of(client.get(pending.get_absolute_url()))
    assert "Row 3 rates the same movie; the later row counts." in page
    client.post(pending.get_absolute_url(), {"import_3": "on"})
    assert scores(member) == {("Heat", 1995): 5}


# ----------------------------------------------------------------------------- refused uploads
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        ("title,year,rating\nAmélie,2001,5\n".encode("cp1252"), "not UTF-8 text"),
        (b"foo,bar\n1,2\n", "does not name the columns"),
        (b"title,year,rating\n,1999,9\n", "Row 2: It has no title."),
    ],
)
def test_a_refused_file_gets_a_400_and_a_clear_message(client, member, data, message):
    response = upload(client, data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert PendingImport.objects.count() == 0


def test_hostile_titles_are_shown_escaped(client, member):
    text = (
        "title,year,rating\n"
        '"<img src=x onerror=alert(1)> A",1999,4\n'
        '"=HYPERLINK(""http://evil.example"")",1999,4\n'
        "Heat &amp; <b>Dust</b>,1983,4\n"
        "Heat,1995,4\n"
    )
    pending = uploaded(client, text)
    html = client.get(pending.get_absolute_url()).content.decode()
    assert "<img src=x" not in html and "<b>Dust" not in html
    assert "evil.example" not in html  # a formula is never echoed, even escaped
    assert "Row 3: Its title looks like a spreadsheet formula" in text_of_html(html)


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_uploads_are_limited_per_hour(client, member):
    for _ in range(UPLOADS_PER_HOUR):
        PendingImport.objects.create(
            user=member, file_format="plain", rows=[], expires_at=timezone.now()
        )
    response = upload(client)
    assert response.status_code == 429
    assert "try again later" in text_of(response)
    assert PendingImport.objects.count() == UPLOADS_PER_HOUR
    PendingImport.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
    assert upload(client).status_code == 302


def test_the_import_page_is_linked_from_my_ratings_preferences_and_onboarding(client, member):
    pages = (
        reverse("mine:ratings"),
        reverse("accounts:preferences"),
        reverse("accounts:onboarding-ratings"),
    )
    for url in pages:
        assert f'href="{UPLOAD}"' in client.get(url).content.decode(), url


def test_a_file_at_the_row_cap_can_be_confirmed_in_one_form(client, member):
    """Every row matched: the review form sends one field per row, within Django's limit."""
    Movie.objects.bulk_create(
        [Movie(title=f"Cap film {i:03d}", year=1950 + i % 60) for i in range(MAX_ROWS)]
    )
    lines = ["title,year,rating"] + [f"Cap film {i:03d},{1950 + i % 60},4" for i in range(MAX_ROWS)]
    pending = uploaded(client, "\n".join(lines))
    review = client.get(pending.get_absolute_url())
    ticked = re.findall(r'name="(import_\d+)"[^>]*checked', review.content.decode())
    assert len(ticked) == MAX_ROWS
    response = client.post(pending.get_absolute_url(), dict.fromkeys(ticked, "on"))
    assert response.status_code == 302
    assert Rating.objects.filter(user=member).count() == MAX_ROWS


def test_the_import_app_builds_on_catalog_and_nothing_imports_it():
    graph = app_graph()
    assert "catalog" in graph["ratings_import"]
    assert set(graph["ratings_import"]) <= {"catalog", "accounts"}
    assert not [app for app, targets in graph.items() if "ratings_import" in targets]
    views = Path(__file__).resolve().parents[2] / "webapp" / "ratings_import" / "views.py"
    other_views = [
        name
        for name in imported_modules(views.read_text())
        if name.startswith("webapp.") and name.endswith(".views")
    ]
    assert other_views == []
