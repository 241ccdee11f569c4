from django.http import HttpResponse


def inbox(request, **kwargs):
    return HttpResponse("")


ticket = log_contact = search = inbox
