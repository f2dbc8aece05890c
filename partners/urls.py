"""Pages of the partners app, under /partners/."""

from django.urls import URLPattern, URLResolver, path

from partners import views

app_name = "partners"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.organisation_list, name="organisation_list"),
    path("new/", views.organisation_create, name="organisation_create"),
    # Before the link's pattern, which would take "accept" for a token.
    path("invitations/accept/", views.invitation_accept, name="invitation_accept"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("<slug:slug>/", views.organisation_detail, name="organisation_detail"),
    path("<slug:slug>/edit/", views.organisation_edit, name="organisation_edit"),
    path("<slug:slug>/deactivate/", views.organisation_deactivate, name="organisation_deactivate"),
    path("<slug:slug>/reactivate/", views.organisation_reactivate, name="organisation_reactivate"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members/invite/", views.invitation_create, name="invitation_create"),
    path("<slug:slug>/members/<int:pk>/end/", views.membership_end, name="membership_end"),
    path(
        "<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]
