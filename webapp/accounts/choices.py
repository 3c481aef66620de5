"""Fixed choices for profile fields, matching the vocabulary the recommender learned from."""

from __future__ import annotations

# Age is asked as a range (people share that more readily than a birth date); the profile keeps one
# representative age per range because the recommender buckets ages itself.
AGE_RANGES: list[tuple[int, str]] = [
    (15, "Under 18"),
    (21, "18–24"),
    (30, "25–34"),
    (40, "35–44"),
    (50, "45–54"),
    (60, "55–64"),
    (70, "65 or over"),
]

# MovieLens-100K's occupations, so a new person's profile means the same to the model as an
# imported one's.
OCCUPATIONS: list[str] = [
    "administrator",
    "artist",
    "doctor",
    "educator",
    "engineer",
    "entertainment",
    "executive",
    "healthcare",
    "homemaker",
    "lawyer",
    "librarian",
    "marketing",
    "none",
    "other",
    "programmer",
    "retired",
    "salesman",
    "scientist",
    "student",
    "technician",
    "writer",
]


def age_range_for(age: int | None) -> int | None:
    """The range (by its representative age) an exact age falls in, for imported profiles."""
    if age is None:
        return None
    bounds = [(0, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 200)]
    for (low, high), (representative, _label) in zip(bounds, AGE_RANGES, strict=True):
        if low <= age <= high:
            return representative
    return None
