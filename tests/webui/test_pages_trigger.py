"""The trigger form: JSON conf or params fields, validated on the form, never a 500."""

from __future__ import annotations

from scheduler import api


def test_form_is_prefilled_with_the_params_defaults(op_client) -> None:
    html = op_client.get("/dags/demo_etl/trigger").get_data(as_text=True)
    assert "&#34;region&#34;: &#34;eu&#34;" in html  # the JSON textarea
    assert 'name="param.region" value="eu"' in html  # the params form


def test_json_conf_starts_a_run_and_redirects_to_it(op_client, webui) -> None:
    response = op_client.submit(
        "/dags/demo_etl/trigger", {"mode": "json", "conf": '{"region": "us"}', "run_id": "r1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dags/demo_etl/graph?run_id=r1"
    run = api.get_run(webui.settings, "demo_etl", "r1")
    assert run.conf == {"region": "us"} and run.run_type == "manual"


def test_params_form_builds_the_conf(op_client, webui) -> None:
    response = op_client.submit(
        "/dags/demo_etl/trigger", {"mode": "params", "param.region": "apac", "run_id": "r2"}
    )
    assert response.status_code == 302
    assert api.get_run(webui.settings, "demo_etl", "r2").conf == {"region": "apac"}


def test_bad_json_is_explained_on_the_form(op_client) -> None:
    response = op_client.submit("/dags/demo_etl/trigger", {"mode": "json", "conf": "{oops"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "the conf is not valid JSON" in html and "line 1 column 2" in html
    assert "{oops</textarea>" in html  # what was typed is kept


def test_a_conf_that_is_not_an_object_is_refused(op_client) -> None:
    response = op_client.submit("/dags/demo_etl/trigger", {"mode": "json", "conf": "[1, 2]"})
    assert response.status_code == 400
    assert "must be a JSON object" in response.get_data(as_text=True)


def test_taken_run_id_and_bad_date_are_shown_not_crashed(op_client, seed) -> None:
    taken = op_client.submit("/dags/demo_etl/trigger", {"conf": "", "run_id": "queued_run"})
    assert taken.status_code == 400
    assert "already has a run" in taken.get_data(as_text=True)
    bad = op_client.submit("/dags/demo_etl/trigger", {"conf": "", "logical_date": "tuesday"})
    assert bad.status_code == 400 and "ISO 8601" in bad.get_data(as_text=True)


def test_viewer_cannot_trigger(viewer_client, webui) -> None:
    assert viewer_client.get("/dags/demo_etl/trigger").status_code == 403
    response = viewer_client.submit("/dags/demo_etl/trigger", {"conf": "", "run_id": "v1"})
    assert response.status_code == 403
    assert "v1" not in [r.run_id for r in api.list_runs(webui.settings, "demo_etl")]


def test_unknown_dag_is_a_404(op_client) -> None:
    assert op_client.get("/dags/nope/trigger").status_code == 404
