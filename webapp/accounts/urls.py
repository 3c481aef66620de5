from django.urls import path

from webapp.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("welcome/", views.onboarding_genres, name="onboarding-genres"),
    path("welcome/rate/", views.onboarding_ratings, name="onboarding-ratings"),
    path("preferences/", views.preferences, name="preferences"),
]
