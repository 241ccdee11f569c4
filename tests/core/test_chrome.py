"""The chrome kept once per process: its each_time parts are drawn on every request, in their place,
and nothing else of a request is kept."""

from django.template import Context, Template

KEPT = Template(
    "{% load chrome %}{% same_for language %}<p>{{ language }} {{ count }}"
    " [{% each_time %}{{ token }}{% endeach_time %}]"
    " [{% each_time %}{% if token %}{{ token|upper }}{% endif %}{% endeach_time %}]</p>"
    "{% endsame_for %}"
)


def test_the_kept_text_is_reused_and_each_time_parts_are_drawn_every_time():
    first = KEPT.render(Context({"language": "pt", "count": 1, "token": "a<b"}))
    second = KEPT.render(Context({"language": "pt", "count": 2, "token": "cd"}))
    other = KEPT.render(Context({"language": "en", "count": 3, "token": ""}))

    assert first == "<p>pt 1 [a&lt;b] [A&lt;B]</p>"
    assert second == "<p>pt 1 [cd] [CD]</p>"
    assert other == "<p>en 3 [] []</p>"


def test_a_same_for_inside_another_keeps_the_parts_of_both():
    nested = Template(
        "{% load chrome %}{% same_for a %}<{{ a }}{% same_for b %}/{{ b }}"
        "{% each_time %}={{ token }}{% endeach_time %}{% endsame_for %}>{% endsame_for %}"
    )

    pages = [
        nested.render(Context({"a": a, "b": b, "token": token}))
        for a, b, token in [(1, 1, "x"), (2, 1, "y"), (2, 1, "z"), (1, 2, "w")]
    ]

    assert pages == ["<1/1=x>", "<2/1=y>", "<2/1=z>", "<1/1=w>"]


def test_a_part_drawn_in_a_loop_is_rendered_whole_every_time():
    looped = Template(
        "{% load chrome %}{% same_for key %}{% for item in items %}"
        "{% each_time %}{{ item }}{% endeach_time %}{% endfor %}{% endsame_for %}"
    )

    first = looped.render(Context({"key": 1, "items": [1, 2]}))
    second = looped.render(Context({"key": 1, "items": [3, 4, 5]}))

    assert (first, second) == ("12", "345")
