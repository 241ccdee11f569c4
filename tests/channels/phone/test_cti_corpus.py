"""Zammad's generic CTI contract and sipgate.io's, step by step as Zammad's own request specs post it
(../shared/corpus/webhooks/zammad-cti): a PBX set up for Zammad works with Attenda unchanged."""

import json
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from attenda.channels.phone.models import Call, CtiEndpoint
from tests.channels.phone.conftest import STEPS_FILE, zammad_desk
from tests.corpus import CORPUS, corpus_path

GENERIC_SPEC = "spec/requests/integration/cti_spec.rb"
STATUSES = {"ok": 200, "unauthorized": 401, "unprocessable_entity": 422}
LOG_FIELDS = {
    "from": "from_number",
    "to": "to_number",
    "direction": "direction",
    "from_comment": "from_comment",
    "to_comment": "to_comment",
    "comment": "comment",
    "queue": "queue",
    "state": "state",
}
TOKEN = "cti-token-of-the-desk"


def _groups() -> OrderedDict:
    path = CORPUS.joinpath(*STEPS_FILE)
    groups: OrderedDict = OrderedDict()
    if path.exists():
        for step in json.loads(path.read_text())["steps"]:
            if step["spec"] == GENERIC_SPEC:
                groups.setdefault(step["test"], []).append(step)
    return groups


GROUPS = _groups()


@pytest.fixture
def desk(db):
    """The configuration Zammad's specs run with, and their seeded callers."""
    return zammad_desk(TOKEN)


def _encode(params: dict, as_json: bool) -> tuple[str, str]:
    if as_json:
        return json.dumps(params), "application/json"
    pairs = []
    for key, value in params.items():
        if isinstance(value, list):
            pairs.extend((f"{key}[]", item) for item in value)
        else:
            pairs.append((key, "true" if value is True else value))
    return urlencode(pairs), "application/x-www-form-urlencoded"


def _post(client, step: dict, endpoint: CtiEndpoint, as_json: bool, done_ids: list[int]):
    path = step["path"].replace("{token}", endpoint.token)
    params = dict(step["params"])
    if "/cti/done/bulk" in path:
        params["ids"] = done_ids
    elif "/cti/done/" in path:
        path = reverse("cti_done", args=[done_ids[0]])
    body, content_type = _encode(params, as_json)
    return client.post(path, body, content_type=content_type)


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
@pytest.mark.parametrize("test_name", list(GROUPS) or ["corpus missing"])
def test_every_step_of_zammads_generic_cti_spec_passes(client, desk, agent, test_name, as_json):
    steps = GROUPS.get(test_name) or pytest.skip("the shared corpus is missing") or []
    client.force_login(agent)
    done_ids = []
    for step in steps:
        if step["comment"] == "no config":
            CtiEndpoint.objects.filter(pk=desk.pk).update(enabled=False)
        if "/cti/done/" in step["path"]:
            done_ids = [
                Call.objects.create(
                    provider="cti", call_id=f"done-{n}", direction="in", state="hangup", missed=True
                ).pk
                for n in range(2)
            ]

        response = _post(client, step, desk, as_json, done_ids)

        where = f"{test_name}, line {step['line']} ({step['comment']})"
        expect = step.get("expect", {"http_status": "ok"})
        assert response.status_code == STATUSES[expect["http_status"]], where
        if expect.get("json_blank"):
            assert response.json() == {}, where
        for key, value in expect.get("json", {}).items():
            assert response.json().get(key) == value, where
        call_id = step["params"].get("call_id")
        for key, value in step.get("expected_values_after", {}).items():
            call = Call.objects.get(provider="cti", call_id=call_id)
            actual = getattr(call, LOG_FIELDS[key.removeprefix("log.")])
            if key == "log.from_comment" and "," in value:
                assert actual in value.split(","), where
            else:
                assert actual == value, (where, key)
        if "/cti/done/" in step["path"]:
            assert Call.objects.filter(pk__in=done_ids, done=True).count() == len(
                done_ids if "bulk" in step["path"] else done_ids[:1]
            ), where


def test_the_corpus_has_the_generic_steps():
    corpus_path(*STEPS_FILE)

    assert sum(len(steps) for steps in GROUPS.values()) == 33


SIPGATE_SPEC = "spec/requests/integration/sipgate_spec.rb"
SIPGATE_XML = {
    "on_hangup": ("Response", "onHangup"),
    "on_answer": ("Response", "onAnswer"),
    "reason": ("Reject", "reason"),
    "caller_id": ("Dial", "callerId"),
    "number_to_dail": ("Number", None),
}


def _sipgate_groups() -> OrderedDict:
    path = CORPUS.joinpath(*STEPS_FILE)
    groups: OrderedDict = OrderedDict()
    if path.exists():
        for step in json.loads(path.read_text())["steps"]:
            if step["spec"] == SIPGATE_SPEC:
                groups.setdefault(step["test"], []).append(step)
    return groups


SIPGATE_GROUPS = _sipgate_groups()


@pytest.mark.parametrize("test_name", list(SIPGATE_GROUPS) or ["corpus missing"])
def test_every_step_of_zammads_sipgate_spec_passes(client, desk, settings, test_name):
    steps = SIPGATE_GROUPS.get(test_name) or pytest.skip("the shared corpus is missing") or []
    host = (
        "http://external.host.example.com"
        if test_name == "alternative fqdn"
        else "http://zammad.example.com"
    )
    settings.BASE_URL = host
    for step in steps:
        if step["comment"] == "no config":
            CtiEndpoint.objects.filter(pk=desk.pk).update(enabled=False)
        path = step["path"].replace("{token}", desk.token)

        response = client.post(
            path, step["form_body"], content_type="application/x-www-form-urlencoded"
        )

        where = f"{test_name}, line {step['line']} ({step['comment']})"
        assert response.status_code == STATUSES[step["expect"]["http_status"]], where
        expected = step.get("expected_values_after", {})
        if response.status_code != 200:
            assert response.json()["error"] == expected["error"], where
            continue
        root = ElementTree.fromstring(response.content)  # noqa: S314 (our own answer)
        call_id = dict(parse_qsl(step["form_body"]))["callId"]
        for key, value in expected.items():
            value = value.replace("{token}", desk.token)
            if key.startswith("log."):
                call = Call.objects.get(provider="cti", call_id=call_id)
                actual = getattr(call, LOG_FIELDS[key.removeprefix("log.")])
                if key == "log.from_comment" and "," in value:
                    assert actual in value.split(","), where
                else:
                    assert actual == value, (where, key)
                continue
            tag, attribute = SIPGATE_XML[key]
            element = root if root.tag == tag else root.find(f".//{tag}")
            assert (element.text if attribute is None else element.get(attribute)) == value, (
                where,
                key,
            )


def test_the_corpus_has_the_sipgate_steps():
    corpus_path(*STEPS_FILE)

    assert sum(len(steps) for steps in SIPGATE_GROUPS.values()) == 22
