"""The suite writes nothing into the machine's temp dir (tests/conftest.py): everything, Gradio's folder fixed at
import included, lands in the suite's own folder, removed when the run ends."""

import os
import tempfile
from pathlib import Path


def test_the_suites_temp_dir_is_its_own_and_gradio_writes_into_it():
    from gradio.route_utils import DEFAULT_TEMP_DIR
    from gradio.utils import get_upload_folder

    own = Path(tempfile.gettempdir())
    assert own.name.startswith("normgen-tests-") and os.environ["TMPDIR"] == str(own)
    assert Path(DEFAULT_TEMP_DIR).is_relative_to(own)  # fixed when gradio was imported, at collection
    assert Path(get_upload_folder()).is_relative_to(own.resolve())  # Gradio's cache of served files


def test_a_tests_tmp_path_lies_in_the_suites_folder_and_leaves_room_for_a_socket(tmp_path):
    """A subprocess a test starts with TMPDIR=tmp_path binds multiprocessing's socket at
    `<tmp_path>/pymp-XXXXXXXX/listener-XXXXXXXX`, which AF_UNIX caps at 107 characters."""
    assert tmp_path.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
    assert len(str(tmp_path / "pymp-12345678" / "listener-12345678")) <= 107
