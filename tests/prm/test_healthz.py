import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_eager_without_a_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager", "status": "ok"}


def test_healthz_reports_a_broker_that_answers(client, celery_broker):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "status": "ok"}


def test_healthz_is_503_when_the_broker_is_down(client, dead_broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["broker"].startswith("error")
    assert body["database"] == "ok"
    assert body["status"] == "error"
