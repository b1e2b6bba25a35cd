from normgen.public_text import no_paths
from normgen.service.requests import ExploreQuery
from normgen.service.zoo_access import zoo_problem


def test_absolute_paths_become_their_last_name():
    msg = ("dataset 'mnist' not found in /srv/app/data/MNIST/raw. Point --data-root at a folder holding "
           "MNIST/raw/, or use --dataset shapes (made offline).")
    out = no_paths(msg)
    assert "/srv" not in out and "data/MNIST" not in out
    assert "not found in raw." in out
    assert "MNIST/raw/" in out  # a relative path is advice, not the server's layout: kept


def test_paths_in_quotes_brackets_and_windows_drives():
    assert no_paths("cannot open '/tmp/normgen-12-abc/run/grid.png'") == "cannot open 'grid.png'"
    assert no_paths("(/home/u/checkpoints/gan/x.safetensors)") == "(x.safetensors)"
    assert no_paths(r"C:\Users\me\zoo\index.json missing") == "index.json missing"
    assert no_paths("λ = 1/2 and 3/4; nothing here") == "λ = 1/2 and 3/4; nothing here"
    assert no_paths("a URL path like http://x/y is left alone") == "a URL path like http://x/y is left alone"


def test_zoo_and_dataset_messages_name_no_server_path(tmp_path):
    from normgen.service.data_views import nearest_view

    for root in (tmp_path / "nowhere", tmp_path):
        msg = zoo_problem(root)
        assert msg and "make zoo" in msg and str(tmp_path) not in msg
    (tmp_path / "index.json").write_text("{not json")
    msg = zoo_problem(tmp_path)
    assert msg and "could not be read" in msg and str(tmp_path) not in msg
    # the shipped zoo with a data folder that holds nothing: the dataset is named, the folder is not
    view = nearest_view(ExploreQuery.parse("gan", "mnist", "none", 0, 0, "generator", "loss", 0),
                        data_root=str(tmp_path / "empty"))
    assert view.image is None and "MNIST" in view.text and str(tmp_path) not in view.text
