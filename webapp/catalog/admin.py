from django.contrib import admin

from webapp.catalog.models import Genre, Movie, Rating


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name"]


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "source", "rating_count", "rating_mean", "created_at"]
    list_filter = ["source", "genres", "year"]
    search_fields = ["title", "description"]
    filter_horizontal = ["genres"]
    readonly_fields = ["rating_count", "rating_mean", "created_at", "movielens_id"]
    raw_id_fields = ["created_by"]
    date_hierarchy = "created_at"


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "score", "rated_at"]
    list_filter = ["score", "movie__source"]
    search_fields = ["user__username", "movie__title", "review"]
    raw_id_fields = ["user", "movie"]
    list_select_related = ["user", "movie"]
    date_hierarchy = "rated_at"
