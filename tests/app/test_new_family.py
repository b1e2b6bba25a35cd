"""Issue 26: a family is its module and its registry line. A copy of the package gains a second translator (the
cycle GAN under another name) with nothing else changed, and the app offers it: Train lists it and shows its
cycle controls, Translate and Compare build, a run is planned for it, and the CLI trains it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "normgen"
ZOO = PKG.parent / "checkpoints"

FAMILY = '''from normgen.models.cyclegan import CycleGAN


class CopyCycleGAN(CycleGAN):
    """The cycle GAN under another name: a translator-shaped family the app has never seen."""

    name = "copycycle"
    label = "Copy cycle GAN"
'''


def test_a_translator_family_added_in_models_alone_reaches_the_app_and_the_cli(tmp_path):
    shutil.copytree(PKG, tmp_path / "normgen", ignore=shutil.ignore_patterns("__pycache__"))
    models = tmp_path / "normgen" / "models"
    (models / "copycycle.py").write_text(FAMILY)
    reg = models / "registry.py"
    text = reg.read_text()
    old = "(GAN, VAE, CGAN, ColourDCGAN, CycleGAN)}"
    assert old in text
    reg.write_text(text.replace(old, "(GAN, VAE, CGAN, ColourDCGAN, CycleGAN, CopyCycleGAN)}").replace(
        "from normgen.models.cyclegan import CycleGAN\n",
        "from normgen.models.copycycle import CopyCycleGAN\nfrom normgen.models.cyclegan import CycleGAN\n"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    code = f'''
import json
from normgen.app import build_demo
from normgen.app.tabs.train_cycle import cycle_visibility
from normgen.service.train_plan import plan_run
demo = build_demo(root={str(ZOO)!r})
dd = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "train-model")
plan = plan_run("copycycle", "shapes", "none", 0, 0, "generator", "loss", 0, 5, 30, "scratch", root={str(ZOO)!r})
print(json.dumps({{"offered": "copycycle" in [c[1] for c in dd.choices],
                  "cycle_controls": cycle_visibility("copycycle")["visible"],
                  "planned": [plan.cfg.model.name, plan.cfg.model.lambda_cyc]}}))
'''
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env=env)
    assert got.returncode == 0, got.stderr[-3000:]
    out = json.loads(got.stdout.strip().splitlines()[-1])
    assert out == {"offered": True, "cycle_controls": True, "planned": ["copycycle", 10.0]}
    trained = subprocess.run([sys.executable, "-m", "normgen", "train", "--model", "copycycle", "--dataset", "shapes",
                              "--steps", "2", "--out", str(tmp_path / "run"), "--quiet"], capture_output=True,
                             text=True, timeout=300, cwd=tmp_path, env=env)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "--model copycycle" in trained.stdout
