"""What we know about a person beyond their login: demographics and taste, used for cold start."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from webapp.catalog.models import Genre


class Profile(models.Model):
    class Gender(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "O", "Other"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    occupation = models.CharField(max_length=40, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
    favourite_genres = models.ManyToManyField(Genre, blank=True, related_name="fans")
    # Set for the people imported from MovieLens; their accounts cannot log in.
    movielens_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    onboarded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(age__isnull=True) | models.Q(age__lte=120),
                name="profile_age_plausible",
            )
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"
