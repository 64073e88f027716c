from django.urls import path

from qorgau.accounts import views, views_notifications

app_name = "accounts"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("login/enrol/", views.enrol_view, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("logout/everywhere/", views.logout_everywhere_view, name="logout_everywhere"),
    path("notifications/", views.notifications_view, name="notifications"),
    path("notifications/settings/", views_notifications.notification_settings_view, name="notification_settings"),
    path("security/", views.security_view, name="security"),
    path("staff/", views.staff_view, name="staff"),
    path("staff/export.csv", views.staff_export_view, name="staff_export"),
    path("language/", views.language_view, name="language"),
]
