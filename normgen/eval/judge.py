"""The judge: a small CNN classifier per dataset whose features score generated images.

Its penultimate layer (128 ReLU units) plays the role Inception-v3's pool features play in FID
(Heusel et al. 2017, https://arxiv.org/abs/1706.08500): a Frechet distance between judge features
of generated and real test images is a FID-like quality score for 28x28 grey and 32x32 colour data
(CIFAR-10: a BatchNorm VGG-style judge, see `train_judge`), and its softmax gives
confidence and class histograms (normgen.eval.quality). Inputs are images in [-1, 1], like every model.

Stored as `*.safetensors` with JSON metadata (architecture, dataset, class names, measured test
accuracy); never pickled. Train one with `python -m normgen judge --dataset mnist --out FILE`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from normgen import __version__
from normgen.checkpoints import CheckpointError
from normgen.data import Dataset, class_names, dataset_info

FORMAT = "normgen-judge/1"
META_KEY = "normgen_judge"


ARCHS = ("plain", "plain-bn", "vgg-bn")


@dataclass(frozen=True)
class JudgeConfig:
    num_classes: int = 10
    in_channels: int = 1
    ch: int = 16  # channels of the first conv; then 2ch and 4ch (~98k parameters at 28x28)
    features: int = 128  # penultimate width: the feature space of the Frechet distance
    image_size: int = 28
    arch: str = "plain"  # "plain": one conv per stage (files written before `arch` existed are this);
    # "vgg-bn": two conv-BatchNorm-ReLU per stage (Simonyan & Zisserman 2015; Ioffe & Szegedy 2015), for CIFAR-10;
    # "plain-bn": one conv-BatchNorm-ReLU per stage (half vgg-bn's depth: CIFAR-10's second judge, issue 25)

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"judge arch {self.arch!r} unknown; choose one of {', '.join(ARCHS)}")


def _conv_bn(i: int, o: int) -> list[nn.Module]:
    return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]


class Judge(nn.Module):
    """Three conv stages with 2x2 max-pooling, then a 128-unit ReLU layer (the features) and a linear head.

    Shapes for 28x28: (B,1,28,28) -> (B,ch,14,14) -> (B,2ch,7,7) -> (B,4ch,3,3) -> (B,128) -> (B,K).
    A stage is one conv-ReLU ("plain"), one conv-BatchNorm-ReLU ("plain-bn") or two ("vgg-bn").
    """

    def __init__(self, cfg: JudgeConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c = cfg.ch
        if cfg.arch == "plain":
            self.convs = nn.Sequential(
                nn.Conv2d(cfg.in_channels, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(2 * c, 4 * c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            )
        elif cfg.arch == "plain-bn":
            self.convs = nn.Sequential(
                *_conv_bn(cfg.in_channels, c), nn.MaxPool2d(2), *_conv_bn(c, 2 * c), nn.MaxPool2d(2),
                *_conv_bn(2 * c, 4 * c), nn.MaxPool2d(2),
            )
        else:
            self.convs = nn.Sequential(
                *_conv_bn(cfg.in_channels, c), *_conv_bn(c, c), nn.MaxPool2d(2),
                *_conv_bn(c, 2 * c), *_conv_bn(2 * c, 2 * c), nn.MaxPool2d(2),
                *_conv_bn(2 * c, 4 * c), *_conv_bn(4 * c, 4 * c), nn.MaxPool2d(2),
            )
        side = cfg.image_size // 8
        self.fc = nn.Linear(4 * c * side * side, cfg.features)
        self.head = nn.Linear(cfg.features, cfg.num_classes)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.fc(self.convs(x).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self._features(x))

    @torch.no_grad()
    def features(self, x: torch.Tensor, batch: int = 2048) -> torch.Tensor:
        """Penultimate activations (N, features) in float32, computed in eval mode in chunks."""
        return self._chunked(self._features, x, batch)

    @torch.no_grad()
    def logits(self, x: torch.Tensor, batch: int = 2048) -> torch.Tensor:
        """Class logits (N, K) in float32."""
        return self._chunked(self.forward, x, batch)

    @torch.no_grad()
    def features_and_logits(self, x: torch.Tensor, batch: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
        """Both at once (one pass): ((N, features), (N, K))."""
        f = self.features(x, batch)
        return f, self.head(f)

    def _chunked(self, fn, x: torch.Tensor, batch: int) -> torch.Tensor:
        was = self.training
        self.eval()
        dev = next(self.parameters()).device
        try:
            outs = [fn(x[i:i + batch].to(dev).float()) for i in range(0, x.shape[0], batch)]
        finally:
            self.train(was)
        return torch.cat(outs).float()


@dataclass
class JudgeResult:
    judge: Judge
    dataset: str
    test_acc: float  # percent, on the whole real test set
    train_acc: float  # percent, on up to 10,000 training images
    steps: int
    seconds: float


@torch.no_grad()
def accuracy(judge: Judge, data: Dataset, limit: int | None = None) -> float:
    """Percent of `data` (first `limit` images) classified correctly."""
    x, y = data.images[:limit], data.labels[:limit]
    pred = judge.logits(x).argmax(1).cpu()
    return 100.0 * (pred == y.cpu()).float().mean().item()


def shift_batch(x: torch.Tensor, g: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Translate each image by a random integer offset in [-max_shift, max_shift] (background fill).

    Small shifts make the judge less sensitive to off-centre generated digits.
    """
    b, c, h, w = x.shape
    p = max_shift
    padded = F.pad(x, (p, p, p, p), value=-1.0)  # -1 is the background of every dataset
    dx = torch.randint(0, 2 * p + 1, (b,), generator=g, device=g.device).to(x.device)
    dy = torch.randint(0, 2 * p + 1, (b,), generator=g, device=g.device).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device)[None])  # (B, H)
    cols = (dx[:, None] + torch.arange(w, device=x.device)[None])  # (B, W)
    idx_r = rows[:, None, :, None].expand(b, c, h, w + 2 * p)
    out = padded.gather(2, idx_r)
    idx_c = cols[:, None, None, :].expand(b, c, h, w)
    return out.gather(3, idx_c)


def crop_flip_batch(x: torch.Tensor, g: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random crops of the reflect-padded image and random horizontal flips: the standard CIFAR-10
    augmentation (He et al. 2016, https://arxiv.org/abs/1512.03385, section 4.2)."""
    b, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=g, device=g.device).to(x.device)
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=g, device=g.device).to(x.device)
    rows = dy[:, None] + torch.arange(h, device=x.device)[None]  # (B, H)
    cols = dx[:, None] + torch.arange(w, device=x.device)[None]  # (B, W)
    out = padded.gather(2, rows[:, None, :, None].expand(b, c, h, w + 2 * pad))
    out = out.gather(3, cols[:, None, None, :].expand(b, c, h, w))
    flip = (torch.rand(b, generator=g, device=g.device) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], out.flip(3), out)


def default_recipe(dataset: str) -> dict[str, Any]:
    """train_judge's keyword arguments for a dataset: colour gets the BatchNorm judge (a plain one reached
    74.4% on CIFAR-10, too weak to rank colour samples; this one is over 85%), grey the plain one."""
    if dataset_info(dataset).image_shape[0] == 3:
        return {"arch": "vgg-bn", "ch": 32, "steps": 10_000, "lr": 0.1}  # ~26 epochs of CIFAR-10
    return {"arch": "plain", "ch": 16, "steps": 1500, "lr": 2e-3}


def train_judge(train: Dataset, test: Dataset, *, steps: int = 1500, batch_size: int = 128, lr: float = 2e-3,
                seed: int = 0, device: torch.device | str = "cpu", max_shift: int = 2, arch: str = "plain",
                ch: int = 16, log=None) -> JudgeResult:
    """Train a judge on random batches of the resident training tensor.

    "plain" (MNIST, Fashion): Adam, random shifts, learning rate decaying linearly to 5% over `steps` (a
    cheap, reliable schedule for a short run). The BatchNorm judges, "vgg-bn" (CIFAR-10) and "plain-bn"
    (CIFAR-10's second judge): SGD with Nesterov momentum 0.9 and weight decay 5e-4, a one-cycle schedule
    (linear warm-up over 15% of the steps to `lr`, then linear decay to 0; Smith & Topin 2017,
    https://arxiv.org/abs/1708.07120), random crops and flips (colour; grey data is shifted, as a mirrored
    digit is another shape), and for colour bfloat16 autocast on the CPU (AMX/AVX-512 kernels: ~2x the
    float32 speed measured on a 2-core Xeon; a grey vgg-bn judge, issue 25's second judge, trains in float32).
    """
    device = torch.device(device)
    c, h, _ = train.image_shape
    cfg = JudgeConfig(num_classes=train.num_classes, in_channels=c, image_size=h, arch=arch, ch=ch)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        judge = Judge(cfg)
    judge.to(device).train()
    data = train.to(device)
    g = torch.Generator(device=device).manual_seed(seed)
    bn = arch in ("vgg-bn", "plain-bn")  # BatchNorm judges: SGD, one-cycle, channels-last, bfloat16 on colour
    flips = c == 3  # crops and mirror images suit photos; a mirrored digit is another shape, so grey data is shifted
    if bn:
        judge = judge.to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(judge.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
        warm = max(1, int(0.15 * steps))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(s + 1, warm) / warm if s < warm else max(0.0, (steps - s) / max(1, steps - warm)))
    else:
        opt = torch.optim.Adam(judge.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - 0.95 * min(s, steps) / steps)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = data.batch(batch_size, g)
        if flips:
            x = crop_flip_batch(x, g)
        elif max_shift:
            x = shift_batch(x, g, max_shift)
        if bn:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bn and flips):  # colour: measured 2x
            loss = F.cross_entropy(judge(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if log is not None and (step % 250 == 0 or step == steps):
            log(f"step {step:>5}/{steps}  loss {loss.item():.4f}  {time.perf_counter() - start:5.1f}s")
        if log is not None and bn and step % 2000 == 0 and step < steps:
            judge.eval()
            log(f"  test accuracy (first 2,000) {accuracy(judge, test, 2000):.2f}%")
            judge.train()
    seconds = time.perf_counter() - start
    judge.eval()
    return JudgeResult(judge, train.name, accuracy(judge, test), accuracy(judge, train, 10_000), steps, seconds)


def save_judge(path: str | Path, result: JudgeResult, extra: dict[str, Any] | None = None) -> Path:
    """Write the judge's float32 weights and metadata to `path` (atomic rename)."""
    path = Path(path)
    j = result.judge
    meta = {"format": FORMAT, "normgen_version": __version__, "config": asdict(j.cfg),
            "dataset": result.dataset, "classes": list(class_names(result.dataset)),
            "test_acc": round(result.test_acc, 3), "train_acc": round(result.train_acc, 3),
            "steps": result.steps, "seconds": round(result.seconds, 1), **(extra or {})}
    tensors = {k: (v.detach().float() if v.is_floating_point() else v.detach()).cpu().contiguous()
               for k, v in j.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    tmp.replace(path)
    return path


def load_judge_file(path: str | Path, device: torch.device | str = "cpu") -> Judge:
    """Rebuild a judge from its file; `judge.meta` holds the metadata (dataset, test_acc, ...)."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
        meta = json.loads(header[META_KEY])
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
        judge = Judge(JudgeConfig(**meta["config"]))
        judge.load_state_dict(load_file(str(path), device="cpu"), strict=True)
    except (SafetensorError, OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CheckpointError(f"{path}: not a normgen judge file ({first}). Train one with: "
                              "python -m normgen judge --dataset NAME --out FILE") from None
    judge.meta = meta  # type: ignore[attr-defined]
    return judge.to(device).eval()
