"""A small, realistic-looking catalogue for browser tests and screenshots.

Titles, years and genres are facts about well-known films (as listed in MovieLens-100K); the
posters are drawn here with Pillow, and the ratings come from generated people.
"""

from __future__ import annotations

import io
import random

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from webapp.accounts.models import Profile
from webapp.catalog.models import Genre, Movie, Rating
from webapp.catalog.posters import clean_poster
from webapp.catalog.stats import refresh_movie_stats

FILMS = [
    ("Star Wars", 1977, ["Action", "Adventure", "Sci-Fi"]),
    ("Fargo", 1996, ["Crime", "Drama", "Thriller"]),
    ("Return of the Jedi", 1997, ["Action", "Adventure", "Sci-Fi"]),
    ("Contact", 1997, ["Drama", "Sci-Fi"]),
    ("The English Patient", 1996, ["Drama", "Romance"]),
    ("Scream", 1996, ["Horror", "Thriller"]),
    ("Toy Story", 1995, ["Animation", "Children's", "Comedy"]),
    ("Liar Liar", 1997, ["Comedy"]),
    ("Air Force One", 1997, ["Action", "Thriller"]),
    ("Independence Day", 1996, ["Action", "Sci-Fi"]),
    ("Raiders of the Lost Ark", 1981, ["Action", "Adventure"]),
    ("Godfather, The", 1972, ["Action", "Crime", "Drama"]),
    ("Pulp Fiction", 1994, ["Crime", "Drama"]),
    ("Twelve Monkeys", 1995, ["Drama", "Sci-Fi"]),
    ("Silence of the Lambs, The", 1991, ["Drama", "Thriller"]),
    ("Jerry Maguire", 1996, ["Drama", "Romance"]),
    ("Rock, The", 1996, ["Action", "Adventure", "Thriller"]),
    ("Empire Strikes Back, The", 1980, ["Action", "Adventure", "Sci-Fi"]),
    ("Titanic", 1997, ["Action", "Drama", "Romance"]),
    ("Back to the Future", 1985, ["Comedy", "Sci-Fi"]),
    ("Groundhog Day", 1993, ["Comedy", "Romance"]),
    ("Monty Python and the Holy Grail", 1974, ["Comedy"]),
    ("Alien", 1979, ["Action", "Horror", "Sci-Fi"]),
    ("Aliens", 1986, ["Action", "Sci-Fi", "Thriller"]),
    ("Shining, The", 1980, ["Horror"]),
    ("Casablanca", 1942, ["Drama", "Romance", "War"]),
    ("Annie Hall", 1977, ["Comedy", "Romance"]),
    ("Young Frankenstein", 1974, ["Comedy", "Horror"]),
    ("Blues Brothers, The", 1980, ["Action", "Comedy", "Musical"]),
    ("Princess Bride, The", 1987, ["Action", "Adventure", "Comedy", "Romance"]),
]
PALETTE = [
    (29, 53, 87),
    (230, 57, 70),
    (69, 123, 157),
    (42, 157, 143),
    (233, 196, 106),
    (38, 70, 83),
]


def draw_poster(title: str, index: int, size=(400, 600)) -> bytes:
    top, bottom = PALETTE[index % len(PALETTE)], PALETTE[(index + 2) % len(PALETTE)]
    image = Image.new("RGB", size, top)
    draw = ImageDraw.Draw(image)
    for y in range(size[1]):
        t = y / size[1]
        draw.line(
            [(0, y), (size[0], y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    draw.ellipse(
        [size[0] * 0.2, size[1] * 0.18, size[0] * 0.8, size[1] * 0.58],
        outline=(255, 255, 255),
        width=6,
    )
    draw.text((24, size[1] - 70), title[:28], fill=(255, 255, 255), font_size=28)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build_showcase(n_people: int = 25, seed: int = 7) -> list[Movie]:
    rng = random.Random(seed)
    names = sorted({g for _, _, genres in FILMS for g in genres})
    genres = {name: Genre.objects.get_or_create(name=name)[0] for name in names}
    movies = []
    for index, (title, year, film_genres) in enumerate(FILMS):
        movie = Movie(title=title, year=year, description=f"{title} ({year}), a MovieLens classic.")
        if index % 3 != 2:  # some keep the placeholder, as real catalogues do
            poster = clean_poster(SimpleUploadedFile("p.png", draw_poster(title, index)))
            movie.poster.save(poster.content.name, poster.content, save=False)
        movie.save()
        movie.genres.set([genres[g] for g in film_genres])
        movies.append(movie)
    people = User.objects.bulk_create([User(username=f"viewer{i}") for i in range(n_people)])
    Profile.objects.bulk_create([Profile(user=u, onboarded=True) for u in people])
    ratings = []
    for person in people:
        for position in sorted(rng.sample(range(len(movies)), 10)):
            ratings.append(
                Rating(user=person, movie=movies[position], score=rng.choice([2, 3, 4, 4, 5, 5]))
            )
    # The top of the list gets a few extra fans so "most popular" has a clear order.
    for position in range(6):
        for person in people[: 10 - position]:
            if not any(
                r.user_id == person.pk and r.movie_id == movies[position].pk for r in ratings
            ):
                ratings.append(Rating(user=person, movie=movies[position], score=5))
    Rating.objects.bulk_create(ratings)
    refresh_movie_stats(m.pk for m in movies)
    return movies
