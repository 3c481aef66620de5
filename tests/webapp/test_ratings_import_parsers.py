"""Reading ratings exports: the three formats, the conversion rules, every bad row and the caps.

Pure parsing: no database. Each sample is a small, realistic file written here.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from webapp.ratings_import.parsers import (
    IMDB,
    LETTERBOXD,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MOVIELENS,
    PLAIN,
    Kind,
    read_export,
    stars_from_half_stars,
    stars_from_ten,
)

LETTERBOXD_CSV = """Date,Name,Year,Letterboxd URI,Rating
2023-01-02,The Godfather,1972,https://boxd.it/2aHi,5
2023-01-05,Toy Story,1995,https://boxd.it/29lU,4.5
2023-02-11,"Crouching Tiger, Hidden Dragon",2000,https://boxd.it/1Yvk,3.5
2023-03-01,Scream,1996,https://boxd.it/1Q4G,0.5
"""

IMDB_CSV = (
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
    "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"
    "tt0068646,10,2023-01-02,The Godfather,The Godfather,https://www.imdb.com/title/tt0068646/,"
    'Movie,9.2,175,1972,"Crime, Drama",2000000,1972-03-14,Francis Ford Coppola\n'
    "tt0114709,7,2023-01-03,Toy Story,Toy Story,https://www.imdb.com/title/tt0114709/,"
    'Movie,8.3,81,1995,"Animation, Adventure",1000000,1995-11-22,John Lasseter\n'
    "tt0903747,9,2023-01-04,Breaking Bad,Breaking Bad,https://www.imdb.com/title/tt0903747/,"
    'TV Series,9.5,49,2008,"Crime, Drama",2100000,2008-01-20,\n'
    "tt0959621,8,2023-01-05,Pilot,Pilot,https://www.imdb.com/title/tt0959621/,"
    "tvEpisode,8.2,58,2008,Drama,40000,2008-01-20,Vince Gilligan\n"
    "tt0118655,1,2023-01-06,Titanic,Titanic,https://www.imdb.com/title/tt0120338/,"
    'movie,7.9,194,1997,"Drama, Romance",1200000,1997-12-19,James Cameron\n'
)

MOVIELENS_CSV = """movieId,title,rating,timestamp
1,Toy Story (1995),4.0,964982703
50,"Usual Suspects, The (1995)",5.0,964982931
608,Fargo (1996),2.5,964982931
"""


def parse(text: str | bytes):
    return read_export(text.encode() if isinstance(text, str) else text)


def rows_by_number(parsed):
    return {row.number: row for row in parsed.rows}


def refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        read_export(data)
    return " ".join(caught.value.messages)


# ----------------------------------------------------------------------------- conversion rules
@pytest.mark.parametrize(
    ("half_stars", "stars"),
    [(0.5, 1), (1, 1), (1.5, 2), (2, 2), (2.5, 3), (3, 3), (3.5, 4), (4, 4), (4.5, 5), (5, 5)],
)
def test_half_stars_round_half_up_and_never_below_one(half_stars, stars):
    assert stars_from_half_stars(half_stars) == stars


@pytest.mark.parametrize(
    ("ten", "stars"),
    [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (8, 4), (9, 5), (10, 5)],
)
def test_imdb_ratings_become_ceil_half(ten, stars):
    assert stars_from_ten(ten) == stars


# ----------------------------------------------------------------------------- the three formats
def test_letterboxd_ratings_csv_with_half_stars_and_a_quoted_comma():
    parsed = parse(LETTERBOXD_CSV)
    assert parsed.format is LETTERBOXD and parsed.delimiter == ","
    got = [(r.number, r.title, r.year, r.rating, r.stars) for r in parsed.rows]
    assert got == [
        (2, "The Godfather", 1972, "5", 5),
        (3, "Toy Story", 1995, "4.5", 5),
        (4, "Crouching Tiger, Hidden Dragon", 2000, "3.5", 4),
        (5, "Scream", 1996, "0.5", 1),
    ]
    assert all(row.kind == Kind.OK for row in parsed.rows)


def test_imdb_export_converts_one_to_ten_and_sets_tv_aside_as_not_a_movie():
    parsed = parse(IMDB_CSV)
    assert parsed.format is IMDB
    rows = rows_by_number(parsed)
    assert (rows[2].title, rows[2].year, rows[2].stars) == ("The Godfather", 1972, 5)
    assert (rows[3].title, rows[3].stars) == ("Toy Story", 4)
    assert rows[4].kind == Kind.NOT_A_MOVIE and rows[4].reason == "Not a movie (“TV Series”)."
    assert rows[5].kind == Kind.NOT_A_MOVIE and "tvEpisode" in rows[5].reason
    assert (rows[6].kind, rows[6].stars) == (Kind.OK, 1)  # lower-case "movie" is a movie too
    assert [r.number for r in parsed.readable] == [2, 3, 6]


def test_movielens_titles_lose_their_year_suffix_and_trailing_article():
    parsed = parse(MOVIELENS_CSV)
    assert parsed.format is MOVIELENS
    got = [(r.title, r.year, r.stars) for r in parsed.rows]
    assert got == [("Toy Story", 1995, 4), ("The Usual Suspects", 1995, 5), ("Fargo", 1996, 3)]


def test_plain_title_year_rating_csv():
    parsed = parse("title,year,rating\nUsual Suspects, The,1995,4\n")
    # An unquoted comma in a title gives the row one value too many: refused with the reason.
    assert parsed.rows[0].kind == Kind.INVALID and "double quotes" in parsed.rows[0].reason
    parsed = parse('Title,Year,Rating\n"Usual Suspects, The",1995,4\nAlien,1979,3.5\n')
    assert parsed.format is PLAIN
    assert [(r.title, r.year, r.stars) for r in parsed.rows] == [
        ("The Usual Suspects", 1995, 4),
        ("Alien", 1979, 4),
    ]


def test_byte_order_mark_semicolons_and_decimal_commas():
    data = "\ufeffDate;Name;Year;Letterboxd URI;Rating\r\n2023-01-01;Alien;1979;x;3,5\r\n"
    parsed = read_export(data.encode("utf-8"))
    assert parsed.format is LETTERBOXD and parsed.delimiter == ";"
    assert [(r.title, r.year, r.stars) for r in parsed.rows] == [("Alien", 1979, 4)]


def test_tab_separated_and_blank_lines_are_skipped():
    parsed = parse("title\tyear\trating\n\nAlien\t1979\t5\n\n\n")
    assert parsed.delimiter == "\t"
    assert [(r.number, r.title) for r in parsed.rows] == [(3, "Alien")]


# ----------------------------------------------------------------------------- bad rows
BAD_ROWS = [
    (",1999,x,4", "It has no title."),
    ("\u200b\u200b,1999,x,4", "It has no title."),
    ("Alien,1979,x,", "It has no rating."),
    ("Alien,1979,x,five", "Its rating “five” is not a number."),
    ("Alien,1979,x,NaN", "Its rating “NaN” is not a number."),
    ("Alien,1979,x,1e3", "Its rating “1e3” is not a number."),
    ("Alien,1979,x,\u0663", "Its rating “\u0663” is not a number."),
    ("Alien,1979,x,6", "Its rating “6” is outside 0.5–5."),
    ("Alien,1979,x,0", "Its rating “0” is outside 0.5–5."),
    ("Alien,1979,x,-1", "Its rating “-1” is not a number."),
    ("Alien,1979,x,3.7", "Its rating “3.7” is not a whole or half star."),
    ("Alien,19x9,x,4", "Its year “19x9” is not a year."),
    ("Alien,1066,x,4", "Its year 1066 is not between 1870 and"),
    ('=HYPERLINK("http://evil"),1999,x,4', "looks like a spreadsheet formula"),
    ("@SUM(A1:A9),1999,x,4", "looks like a spreadsheet formula"),
    ("-cmd|' /C calc'!A0,1999,x,4", "looks like a spreadsheet formula"),
    ("<script>alert(1)</script>,1999,x,4", "Its title contains HTML tags."),
    ("A" * 201 + ",1999,x,4", "Its title is longer than 200 characters."),
    ("Alien,1979,x,4,surplus", "It has 5 values but the header names 4 columns"),
    ("Alien,1979,x,=1+1", "Its rating (a spreadsheet formula) is not a number."),
]


@pytest.mark.parametrize(("line", "message"), BAD_ROWS)
def test_each_bad_row_gets_its_number_and_reason_and_the_others_go_on(line, message):
    text = f"Name,Year,Letterboxd URI,Rating\nToy Story,1995,x,4\n{line}\nFargo,1996,x,5\n"
    parsed = parse(text)
    rows = rows_by_number(parsed)
    assert rows[3].kind == Kind.INVALID
    assert message in rows[3].reason
    assert [r.number for r in parsed.readable] == [2, 4]


def test_titles_that_only_look_like_formulas_are_kept():
    parsed = parse("title,year,rating\n+1,2013,3\n-ology,2001,4\n")
    assert [r.title for r in parsed.readable] == ["+1", "-ology"]


def test_imdb_bad_ratings():
    header = IMDB_CSV.split("\n", 1)[0]
    line = "tt1,{},2023-01-02,Alien,Alien,u,Movie,8,100,1979,Horror,1,1979-01-01,Ridley Scott"
    text = "\n".join([header, line.format(11), line.format(0), line.format(7.5), line.format(8)])
    rows = rows_by_number(parse(text))
    assert "outside 1–10" in rows[2].reason and "outside 1–10" in rows[3].reason
    assert "not a whole number from 1 to 10" in rows[4].reason
    assert rows[5].stars == 4


def test_a_year_in_the_title_counts_when_the_year_column_is_empty():
    parsed = parse("title,year,rating\nHeat (1995),,4\nHeat,,4\n")
    assert [(r.title, r.year) for r in parsed.rows] == [("Heat", 1995), ("Heat", None)]


# ----------------------------------------------------------------------------- whole-file refusals
def test_an_empty_file_is_refused():
    assert refusal(b"") == "The file is empty."
    assert refusal(b"\xef\xbb\xbf\r\n  \n") == "The file is empty."


def test_a_header_without_rows_is_refused():
    assert "no ratings" in refusal(b"Date,Name,Year,Letterboxd URI,Rating\n\n")


def test_latin_1_is_refused_with_the_byte_and_how_to_fix_it():
    message = refusal("title,year,rating\nAmélie,2001,5\n".encode("latin-1"))
    assert "not UTF-8 text" in message and "0xE9" in message and "CSV UTF-8" in message


def test_utf_16_is_refused_by_name():
    message = refusal("title,year,rating\nAlien,1979,5\n".encode("utf-16"))
    assert "UTF-16" in message


def test_binary_junk_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    assert "not UTF-8" in refusal(buffer.getvalue()) or "binary" in refusal(buffer.getvalue())
    assert "binary data" in refusal(b"title,year,rating\nAlien\x00,1979,5\n")
    assert "control characters" in refusal(b"title,year,rating\nAl\x07ien,1979,5\n")
    assert "ZIP archive" in refusal(b"PK\x03\x04" + b"\x14" * 40)


def test_an_unknown_header_says_what_was_expected():
    message = refusal(b"foo,bar,baz\n1,2,3\n")
    assert "does not name the columns" in message and "3 columns separated by commas" in message
    assert "Letterboxd URI" in message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Date,Name,Year,Letterboxd URI", "no “rating” column. Upload ratings.csv"),
        ("Const,Your Rating,Date Rated,Year", "IMDb ratings export file, but it has no “title”"),
        ("userId,movieId,rating,timestamp", "join it with movies.csv"),
        ("Title,Year", "no “rating” column"),
    ],
)
def test_a_missing_required_column_is_named(header, expected):
    assert expected in refusal(f"{header}\n1,2,3,4\n".encode())


def test_a_file_over_the_size_limit_is_refused():
    data = b"title,year,rating\n" + b"Alien,1979,5\n" * (MAX_FILE_BYTES // 13 + 1)
    assert "larger than 2 MB" in refusal(data)


def test_more_rows_than_the_cap_are_refused_and_the_cap_itself_is_accepted():
    header = "title,year,rating\n"
    ok = parse(header + "Alien,1979,5\n" * MAX_ROWS)
    assert len(ok.rows) == MAX_ROWS
    assert f"more than {MAX_ROWS:,} rows" in refusal(
        (header + "Alien,1979,5\n" * (MAX_ROWS + 1)).encode()
    )


def test_the_row_cap_leaves_the_review_form_under_djangos_field_limit(settings):
    # One field per reviewable row, plus the CSRF token: the confirm form must be readable.
    assert MAX_ROWS + 10 <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS


def test_a_broken_csv_field_is_reported_with_its_line():
    huge = "x" * 200_000
    message = refusal(f'title,year,rating\n"{huge}",1999,4\n'.encode())
    assert "not valid CSV near line" in message
