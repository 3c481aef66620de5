"""Names and thresholds every floor above shares, defined once.

The rating tables that flow from a snapshot or a MovieLens file into training are pandas frames
with these columns; a liked movie is one rated :data:`LIKED_STARS` or more, whether the features
list it, the match predicts it or a page says "because you liked". Django's own field names
(``movie_id`` in an ORM lookup) are the models' business, not these.
"""

from __future__ import annotations

USER_ID = "user_id"
MOVIE_ID = "movie_id"
RATING = "rating"
TIMESTAMP = "timestamp"
#: The columns of a ratings table, in the order files and snapshots hold them.
RATING_COLUMNS = (USER_ID, MOVIE_ID, RATING, TIMESTAMP)

#: The lowest rating (of 1–5 stars) that counts as liking a movie: the features' liked-movie
#: list, what a match predicts, "because you liked" reasons and a movie's fans.
LIKED_STARS = 4
