"""The conventional PyTorch training loop normgen is benchmarked against.

It is the loop of pytorch/examples `dcgan/main.py`, on the *same* model, optimizer and batch size
as normgen's trainer: a torchvision dataset with `transforms.Compose([ToTensor(), Normalize(...)])`
(one PIL image -> tensor per sample), `DataLoader(shuffle=True, num_workers=2)` (dcgan's `--workers`
default), host-to-device copies per batch, a fresh `torch.randn` per batch, separate backward passes
for the real and fake halves of the discriminator loss, and the per-step `.item()` logging line
(formatted every step; written to a null sink here so the terminal stays readable).
"""

from __future__ import annotations

import atexit
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import torch

from normgen import losses
from normgen.config import TrainConfig
from normgen.data import dataset_info
from normgen.engine.train import init_model, optimizer_plan
from normgen.models import GenerativeModel, family

WORKERS = 2  # pytorch/examples dcgan/main.py: parser.add_argument('--workers', default=2)


OBJECTIVES = ("gan", "vae")  # the objectives the conventional loop has a step for (what the bench compares)


def conventional_loader(name: str, root: str | Path, batch_size: int,
                        workers: int = WORKERS) -> torch.utils.data.DataLoader:
    """torchvision's class for dataset `name` (MNIST, FashionMNIST, CIFAR10: its registry `folder`) with
    ToTensor + Normalize(0.5, 0.5) -> [-1, 1]; where the data is the PNG export of that folder
    (`<folder>/train/<class>/*.png`, how CIFAR-10 is stored here), `ImageFolder` on it, as
    pytorch/examples' dcgan reads a folder of images."""
    from torchvision import datasets, transforms

    info = dataset_info(name)
    if info.folder is None:
        raise ValueError(f"dataset {name!r} is made offline; the conventional loop reads torchvision datasets")
    c = info.image_shape[0]
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * c, (0.5,) * c)])
    export = Path(root) / info.folder / "train"
    if export.is_dir():
        ds = datasets.ImageFolder(str(export), transform=tf)
    else:
        ds = getattr(datasets, info.folder)(str(root), train=True, download=False, transform=tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers,
                                         persistent_workers=workers > 0)
    if workers > 0:  # before multiprocessing's own exit handler (atexit runs last-registered first); it keeps
        atexit.register(_end_workers, loader)  # the loader until exit, as a benchmark does anyway
    return loader


def _end_workers(loader: torch.utils.data.DataLoader) -> None:
    """Ask a loader's persistent workers to end, as its iterator does when it is dropped. At exit they would be
    killed instead, and a killed worker leaves its multiprocessing temp folder (`pymp-…`) behind."""
    it = getattr(loader, "_iterator", None)
    if it is not None:
        it._shutdown_workers()


class ConventionalLoop:
    """A model trained the conventional way; `step()` runs one iteration and logs with `.item()`."""

    def __init__(self, cfg: TrainConfig, loader: torch.utils.data.DataLoader, device: torch.device) -> None:
        self.model: GenerativeModel = init_model(cfg, device)  # the same init as normgen (make_trainer)
        self.cfg, self.loader, self.device = cfg, loader, device
        betas = (cfg.beta1, cfg.beta2)
        parts = self.model.parts
        self.opts = {name: torch.optim.Adam([w for p in ps for w in parts[p].parameters()], lr=lr, betas=betas)
                     for name, (ps, lr) in optimizer_plan(cfg).items()}  # the same optimizers as normgen
        self._step = {"gan": self._gan_step, "vae": self._vae_step}[family(cfg.model.name).objective]  # OBJECTIVES
        self.log = io.StringIO()  # the per-step log line goes here (dcgan prints it)
        self.batches: Iterator = iter(())
        self.epoch, self.i = 0, 0

    def _next(self) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            return next(self.batches)
        except StopIteration:
            self.epoch += 1
            self.batches = iter(self.loader)
            return next(self.batches)

    def step(self) -> None:
        x, y = self._next()
        x, y = x.to(self.device), y.to(self.device)
        self._step(x, y)
        self.i += 1
        if self.log.tell() > 1 << 20:
            self.log = io.StringIO()

    def cpu_seconds(self) -> float | None:
        """CPU time of this process plus its DataLoader workers (Linux /proc), else None."""
        pids = [w.pid for w in getattr(getattr(self.loader, "_iterator", None), "_workers", [])]
        try:
            ticks = 0
            for pid in pids:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime + stime
            return time.process_time() + ticks / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def _gan_step(self, real: torch.Tensor, y: torch.Tensor) -> None:
        m = self.model
        b = real.size(0)
        # (1) update D: maximize log(D(x)) + log(1 - D(G(z))), the real and fake halves back-propagated apart
        m.discriminator.zero_grad()
        out = m.discriminate(real, y)
        err_real = losses.real_loss(out)
        err_real.backward()
        d_x = torch.sigmoid(out).mean().item()
        noise = torch.randn(b, self.cfg.model.nz, device=self.device)
        fake = m.generate(noise, y)  # the labels reach only a conditional family's networks
        out = m.discriminate(fake.detach(), y)
        err_fake = losses.fake_loss(out)
        err_fake.backward()
        d_g_z1 = torch.sigmoid(out).mean().item()
        err_d = err_real + err_fake
        self.opts["discriminator"].step()
        # (2) update G: maximize log(D(G(z)))
        m.generator.zero_grad()
        out = m.discriminate(fake, y)
        err_g = losses.g_loss(out)
        err_g.backward()
        d_g_z2 = torch.sigmoid(out).mean().item()
        self.opts["generator"].step()
        print(f"[{self.epoch}][{self.i}] Loss_D: {err_d.item():.4f} Loss_G: {err_g.item():.4f} "
              f"D(x): {d_x:.4f} D(G(z)): {d_g_z1:.4f} / {d_g_z2:.4f}", file=self.log)

    def _vae_step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        m = self.model
        pixels = x[0].numel()
        opt = self.opts["vae"]
        opt.zero_grad()
        mu, logvar = m.encode(x)
        z = m.reparameterize(mu, logvar, torch.randn_like(mu))
        logits = m.decode_logits(z)
        rec = losses.bernoulli_nll(logits, x)
        kl = losses.gaussian_kl(mu, logvar, pixels)
        loss = rec + self.cfg.model.beta * kl
        loss.backward()
        opt.step()
        print(f"[{self.epoch}][{self.i}] loss: {loss.item():.4f} rec: {rec.item():.4f} kl: {kl.item():.4f}",
              file=self.log)
