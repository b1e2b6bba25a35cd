"""Launch the normgen app: `python app.py` (host / port from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT)."""

import os
import signal

from normgen.app import build_demo, served_folders
from normgen.app.style import launch_kwargs
from normgen.service.housekeeping import Housekeeper

demo = build_demo()


def _stop(signum: int, frame: object) -> None:
    """SIGTERM (`kill`, systemd, a container's stop) ends the server as Ctrl-C does: Gradio closes it and
    the interpreter exits normally, so the exit handlers run (this process's temporary folder is removed,
    normgen.service.workdir). Python's default for SIGTERM ends the process with no exit handlers at all."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    # bounded disk: old temporary files swept every 5 minutes (see its module); the served folders are not:
    # Explore's grid cache bounds itself (1,024 files), and Learn's and Compare's pictures are one per figure
    Housekeeper(skip=served_folders).start()
    try:
        demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                    server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")), **launch_kwargs())
    except KeyboardInterrupt:  # stopped while launch was still starting (its wait loop closes it otherwise)
        demo.close()
