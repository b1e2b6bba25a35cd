"""Launch the normgen app: `python app.py` (host / port from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT)."""

import os

from normgen.app import build_demo
from normgen.app.style import launch_kwargs
from normgen.service.housekeeping import Housekeeper

demo = build_demo()

if __name__ == "__main__":
    Housekeeper().start()  # bounded disk: old temporary files swept every 5 minutes (see its module)
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")), **launch_kwargs())
