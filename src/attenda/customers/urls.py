from django.urls import path

from attenda.customers import views

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("<int:customer_id>/", views.customer, name="customer"),
]
