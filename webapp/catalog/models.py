"""Movies, their genres, and what people think of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

MIN_SCORE = 1
MAX_SCORE = 5
MAX_TITLE_LENGTH = 200
MAX_REVIEW_LENGTH = 1000
MAX_DESCRIPTION_LENGTH = 4000


class Genre(models.Model):
    name = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MovieQuerySet(models.QuerySet):
    def popular(self) -> MovieQuerySet:
        """Most rated first; ties broken by average so a page reads sensibly."""
        return self.order_by("-rating_count", "-rating_mean", "title")

    def with_card_data(self) -> MovieQuerySet:
        """Everything a movie card shows, fetched in a constant number of queries."""
        return self.prefetch_related("genres")


class Movie(models.Model):
    class Source(models.TextChoices):
        MOVIELENS = "movielens", "MovieLens"
        UPLOAD = "upload", "Uploaded"

    title = models.CharField(max_length=MAX_TITLE_LENGTH, db_index=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    description = models.TextField(max_length=MAX_DESCRIPTION_LENGTH, blank=True)
    poster = models.ImageField(upload_to="posters/%Y/%m/", blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    movielens_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploaded_movies",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Kept in step with Rating rows by webapp.catalog.services so that lists sort and show
    # averages without aggregating the ratings table on every page view.
    rating_count = models.PositiveIntegerField(default=0, db_index=True)
    rating_mean = models.FloatField(default=0.0)

    objects = MovieQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["-rating_count", "-rating_mean"], name="movie_popularity")]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="upload") | Q(movielens_id__isnull=False),
                name="movielens_movie_has_id",
            ),
            # Two uploads of one film at the same moment: the database, not the check before the
            # insert, keeps one. Titles are stored whitespace-collapsed, compared case-blind.
            # MovieLens itself lists a few titles twice, so imported rows are left out.
            models.UniqueConstraint(
                Lower("title"),
                "year",
                condition=Q(source="upload"),
                name="one_upload_per_title_and_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog:movie-detail", args=[self.pk])

    @property
    def poster_url(self) -> str:
        """The uploaded poster, else the one drawn from the movie's facts (never a grey box)."""
        if self.poster:
            return self.poster.url
        return reverse("catalog:generated-poster", args=[self.pk])

    @property
    def genre_names(self) -> list[str]:
        return [genre.name for genre in self.genres.all()]


class Rating(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings"
    )
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField()
    review = models.TextField(max_length=MAX_REVIEW_LENGTH, blank=True)
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-rated_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="one_rating_per_user_and_movie"),
            models.CheckConstraint(
                condition=Q(score__gte=MIN_SCORE) & Q(score__lte=MAX_SCORE),
                name="rating_score_between_1_and_5",
            ),
        ]
        indexes = [models.Index(fields=["movie", "-rated_at"], name="rating_movie_recent")]

    def __str__(self) -> str:
        return f"{self.user} → {self.movie}: {self.score}"


class WatchlistEntry(models.Model):
    """A movie a person means to watch: kept out of their picks, listed on their watchlist."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlist"
    )
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="watchlisted_by")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at", "-pk"]
        verbose_name = "watchlist entry"
        verbose_name_plural = "watchlist entries"
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="one_watchlist_entry_per_movie")
        ]
        indexes = [models.Index(fields=["user", "-added_at"], name="watchlist_user_recent")]

    def __str__(self) -> str:
        return f"{self.user} wants to watch {self.movie}"


class NotInterested(models.Model):
    """A pick a person dismissed: never picked for them again, and evidence against its kind."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="not_interested"
    )
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="dismissed_by")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "not-interested mark"
        verbose_name_plural = "not-interested marks"
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="one_dismissal_per_movie")
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="dismissed_user_recent")]

    def __str__(self) -> str:
        return f"{self.user} is not interested in {self.movie}"
