"""Writers at the same instant, over real HTTP against gunicorn's threads: nothing lost or doubled.

On PostgreSQL (CI's second run) these are the races of issue 15: six people rating one movie
left totals of five, and two uploads of one film were both stored.
"""

from __future__ import annotations

import threading

import pytest

from tests.webapp.catalog_data import image_bytes, make_genres, make_member
from tests.webapp.live_http import gunicorn, multipart, request, visitor_for
from webapp.catalog.models import Movie, Rating

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def server(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with gunicorn(tmp_path, {"DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT)}) as running:
        yield running


def all_at_once(calls) -> list:
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # reported by the assertions, not lost in a thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_six_people_rating_one_movie_at_once_are_all_counted(server):
    people = [visitor_for(make_member(f"fan-{i}")) for i in range(6)]
    scores = [5, 4, 3, 5, 1, 2]
    for round_number in range(4):
        movie = Movie.objects.create(title=f"Crowded {round_number}", year=2001)
        path = f"/movies/{movie.pk}/rate/"

        def rate(visitor, score, path=path):
            return request(
                server.url,
                "POST",
                path,
                body=f"score={score}".encode(),
                headers=visitor.headers(
                    **{
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/json",
                    }
                ),
            )[0]

        statuses = all_at_once(
            [lambda v=v, s=s: rate(v, s) for v, s in zip(people, scores, strict=True)]
        )
        assert statuses == [200] * 6, (statuses, server.log())
        movie.refresh_from_db()
        assert Rating.objects.filter(movie=movie).count() == 6
        assert movie.rating_count == 6, f"round {round_number}: {movie.rating_count} of 6"
        assert movie.rating_mean == pytest.approx(sum(scores) / 6)


def test_the_same_upload_sent_four_times_at_once_is_stored_once(server, settings):
    genres = make_genres()
    uploaders = [visitor_for(make_member(f"twin-{i}")) for i in range(4)]
    for round_number in range(3):
        title = f"Twin Peaks Of Spikes {round_number}"
        body, content_type = multipart(
            {"title": title, "year": "2019", "genres": [genres["Drama"].pk]},
            {"poster": ("p.png", image_bytes("PNG", size=(200, 300)))},
        )

        def upload(visitor, body=body, content_type=content_type):
            return request(
                server.url,
                "POST",
                "/movies/upload/",
                body=body,
                headers=visitor.headers(**{"Content-Type": content_type}),
            )

        answers = all_at_once([lambda v=v: upload(v) for v in uploaders])
        statuses = sorted(answer[0] for answer in answers)
        assert statuses == [302, 409, 409, 409], (answers, server.log())
        assert all("already" in html for status, _, html in answers if status == 409)
        assert Movie.objects.filter(title__iexact=title).count() == 1
    # One poster per stored movie: the refused uploads left no file behind.
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert len(stored) == 3


def test_the_database_refuses_a_second_upload_with_the_same_title_and_year():
    from django.db import IntegrityError, transaction

    Movie.objects.create(title="Only Once", year=2000, source=Movie.Source.UPLOAD)
    with pytest.raises(IntegrityError), transaction.atomic():
        Movie.objects.create(title="ONLY ONCE", year=2000, source=Movie.Source.UPLOAD)
    # Another year, or a MovieLens row (the dataset lists a few titles twice), is allowed.
    Movie.objects.create(title="Only Once", year=2001, source=Movie.Source.UPLOAD)
    Movie.objects.create(
        title="Only Once", year=2000, source=Movie.Source.MOVIELENS, movielens_id=99999
    )
