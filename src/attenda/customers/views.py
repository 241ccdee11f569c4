from django.http import HttpResponse


def customer_list(request, **kwargs):
    return HttpResponse("")


customer = customer_list
