from django.urls import path

from attenda.customers import views

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("<int:customer_id>/", views.customer, name="customer"),
    path("<int:customer_id>/edit/", views.edit_customer, name="customer_edit"),
    path("<int:customer_id>/identities/", views.add_identity, name="customer_add_identity"),
    path("<int:customer_id>/merge/", views.merge, name="customer_merge"),
    path("<int:customer_id>/agent/", views.standing_agent, name="customer_standing_agent"),
]
