import pytest

pytestmark = pytest.mark.django_db


def test_a_path_the_api_does_not_have_answers_404_in_json(api):
    response = api.get("/invoices/12")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_a_ticket_number_that_is_not_a_number_is_a_field_error(api):
    response = api.get("/tickets/abc")

    assert response.status_code == 422
    assert response.json()["fields"] == {"number": ["Use a whole number."]}


def test_a_body_that_is_not_an_object_is_refused_with_a_general_message(api):
    response = api.post("/customers", ["Maria"])

    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "The request needs a JSON object in its body.",
        "fields": {},
    }
