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
