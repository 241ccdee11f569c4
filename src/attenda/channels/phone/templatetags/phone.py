"""The customer page's list of calls, drawn by the phone channel that keeps them."""

from django import template

from attenda.channels.phone.queries import customer_calls as calls_of

register = template.Library()


@register.inclusion_tag("phone/customer_calls.html")
def customer_calls(customer) -> dict:
    return {"calls": calls_of(customer)}
