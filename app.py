"""Launch the normgen app: `python app.py` (host / port from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT)."""

import os

from normgen.app import build_demo, served_folders
from normgen.app.style import launch_kwargs
from normgen.service.housekeeping import Housekeeper

demo = build_demo()

if __name__ == "__main__":
    # bounded disk: old temporary files swept every 5 minutes (see its module); Explore's figure store and
    # grid cache bound themselves (3,000 and 1,024 files) and are served by path, so they are not swept
    Housekeeper(skip=served_folders).start()
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")), **launch_kwargs())
