"""The Class tab's API (gradio_client against the launched app on the tiny zoo): wrong tokens and unknown codes are
refused, no endpoint takes a result, and a joined student's real /train run lands on the chart once, while a run
of another setting, or of a visitor with no seat, does not."""

from __future__ import annotations

import pytest
from conftest_browser import build_tiny_zoo, launch_app

from normgen.classroom import experiments as X
from normgen.classroom import store as S

pytestmark = pytest.mark.slow

TINY = X.Experiment(id="tiny-vae", title="Tiny VAE on shapes: decoder L2", question="Does the test work?",
                    model="vae", dataset="shapes", target="decoder", axis="l2", lambdas=(0.0, 1e-3), train_size=0,
                    steps=20, start="scratch", metric="elbo_gap", metric_label="ELBO gap", scale=1.0,
                    pick=X.Pick("elbo_test", True, "the highest held-out ELBO"), seconds=60.0)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("class-zoo")
    build_tiny_zoo(root)
    mp.setenv(S.ENV, str(root / "classes.sqlite"))
    mp.delenv("NORMGEN_CLASS_SIMULATE", raising=False)
    mp.setattr(S, "_shared", None)
    mp.setitem(X.EXPERIMENTS, TINY.id, TINY)
    demo, url = launch_app(root)
    yield url
    demo.close()
    mp.undo()


def client(url):
    from gradio_client import Client

    return Client(url, verbose=False)


def refused(fn, words: str) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=words):
        fn()


def test_wrong_tokens_and_unknown_codes_are_refused(app):
    t = client(app)
    code, teacher, _ = t.predict(TINY.id, api_name="/class_open")
    other_code, other_teacher, _ = t.predict(TINY.id, api_name="/class_open")
    assert len(code) >= 12 and len(teacher) >= 16 and code != other_code
    v = client(app)
    refused(lambda: v.predict("AAAAAAAAAAAA", "", "deal", api_name="/class_join"), "no open class")
    refused(lambda: v.predict("AAAAAAAAAAAA", api_name="/class_view"), "no open class")
    for action in ("close", "reopen", "reset", "export"):
        refused(lambda a=action: v.predict(code, other_teacher, api_name=f"/class_{a}"), "not the teacher token")
        refused(lambda a=action: v.predict(code, "", api_name=f"/class_{a}"), "not the teacher token")
    assert "Closed" in t.predict(code, teacher, api_name="/class_close")
    refused(lambda: v.predict(code, "", "deal", api_name="/class_join"), "closed")
    assert v.predict(other_code, api_name="/class_view")[1]["state"] == "open"  # the other class is untouched
    refused(lambda: v.predict("not-an-experiment", api_name="/class_open"), "experiment")


def test_no_endpoint_takes_a_result(app):
    info = client(app).view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert "/class_simulate" not in info  # only with NORMGEN_CLASS_SIMULATE=1 (the load test)
    names = {p["parameter_name"] for ep, v in info.items() if ep.startswith("/class") for p in v["parameters"]}
    assert names <= {"code", "nickname", "lam", "experiment", "teacher"}


def test_a_joined_students_run_lands_once_and_others_do_not(app):
    t = client(app)
    code, teacher, _ = t.predict(TINY.id, api_name="/class_open")
    student = client(app)
    seat = student.predict(code, "Ada", "0.001", api_name="/class_join")[1]
    assert seat["lam"] == 1e-3 and seat["seed"] == 0 and seat["setting"]["l2"] == 1e-3
    out = student.predict(**seat["setting"], api_name="/train")
    assert out[7]["status"] == "finished", out[0]
    assert "your result is on the class chart" in out[0]
    _, st = t.predict(code, api_name="/class_view")
    assert st["results"] == 1 and st["members"] == 1 and st["simulated"] == 0 and st["pick"] == 1e-3
    # the same student trains another λ than the dealt one: refused, named
    other = dict(seat["setting"], l2=0.0)
    out = student.predict(**other, api_name="/train")
    assert "does not count" in out[0] and "dealt setting" in out[0]
    # a visitor who never joined trains the experiment's setting: nothing is posted for anyone
    stranger = client(app)
    out = stranger.predict(**seat["setting"], api_name="/train")
    assert "class" not in out[0].lower().split("\n")[-1]
    html, st = t.predict(code, api_name="/class_view")
    assert st["results"] == 1 and "<svg" in html
    got = t.predict(code, teacher, api_name="/class_export")  # an update: the file, and its box shown
    text = open(got["value"] if isinstance(got, dict) else got).read()
    assert text.count("\n") == 2 and "Ada" in text
    assert "1" in t.predict(code, teacher, api_name="/class_reset")
    assert t.predict(code, api_name="/class_view")[1]["results"] == 0


def test_a_temporary_store_is_warned_about_on_screen(tmp_path, monkeypatch):
    from normgen.app import build_demo

    def warning(demo):
        return [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "class-storage-warning"]

    monkeypatch.delenv(S.ENV, raising=False)
    monkeypatch.setattr(S, "SPACE_DATA", tmp_path / "no-data-volume")
    monkeypatch.setattr(S, "_shared", None)
    (w,) = warning(build_demo(root=str(tmp_path)))
    assert "vanish when it restarts" in w.value
    monkeypatch.setenv(S.ENV, str(tmp_path / "kept.sqlite"))
    monkeypatch.setattr(S, "_shared", None)
    assert warning(build_demo(root=str(tmp_path))) == []
