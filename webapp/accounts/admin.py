from django.contrib import admin

from webapp.accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "age", "gender", "occupation", "zip_code", "onboarded"]
    list_filter = ["gender", "occupation", "onboarded", "favourite_genres"]
    search_fields = ["user__username", "user__email", "occupation", "zip_code"]
    filter_horizontal = ["favourite_genres"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]
