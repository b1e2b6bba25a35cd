"""Sample-quality metrics from judge features (normgen.eval.judge), as small pure functions.

- `frechet_distance`: the Frechet (2-Wasserstein) distance between two Gaussians fitted to judge
  features of generated and real images -- FID (Heusel et al. 2017, https://arxiv.org/abs/1706.08500)
  with our 128-d judge in place of Inception-v3, so values are NOT comparable with published FIDs.
- `confident_pct`, `class_histogram`, `class_entropy`: how often the judge is sure, and how the samples
  spread over classes (mode coverage; the ingredients of the Inception score, Salimans et al. 2016,
  https://arxiv.org/abs/1606.03498). Entropy is in nats: ln(10) = 2.303 is a uniform 10-class spread.
- `within_class_diversity`: mean pairwise distance between samples of one class, averaged over
  classes. A conditional GAN that ignores its noise scores ~0 here while confidence looks perfect.
- VAE: test reconstruction error and the ELBO on train and test images, per pixel, with the
  normalization the VAE trains with (normgen.losses; Kingma & Welling 2014, https://arxiv.org/abs/1312.6114).

`evaluate(model, judge, real_test)` computes all of them; `floor(judge, train, test)` scores real
train images against real test images the same way -- the best a generator can reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from normgen import losses
from normgen.data import Dataset
from normgen.models import GenerativeModel, family

CONFIDENT = 0.9  # a sample is "confident" when the judge's max softmax probability exceeds this
DIV_PER_CLASS = 256  # within-class diversity uses at most this many samples per class (pairs ~ m^2/2)
DEFAULT_N = 10_000


# ----------------------------------------------------------------------------------------------
# pure functions


def feature_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), in float64."""
    f = features.detach().double().cpu()
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"features must be (N, D) with N >= 2, got {tuple(f.shape)}")
    mu = f.mean(0)
    c = f - mu
    return mu, c.T @ c / (f.shape[0] - 1)


def _psd_sqrt(c: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a positive semi-definite matrix by eigen-decomposition."""
    w, v = torch.linalg.eigh((c + c.T) / 2)
    return (v * w.clamp(min=0).sqrt()) @ v.T


def frechet_distance(mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor, cov2: torch.Tensor) -> float:
    """d^2 = ||mu1 - mu2||^2 + tr(C1) + tr(C2) - 2 tr((sqrt(C1) C2 sqrt(C1))^(1/2)).

    The squared 2-Wasserstein distance between N(mu1, C1) and N(mu2, C2) (Dowson & Landau 1982), as
    used by FID. tr((C1 C2)^(1/2)) is computed as the sum of square roots of the eigenvalues of the
    symmetric PSD matrix sqrt(C1) C2 sqrt(C1), in float64, with tiny negative eigenvalues (round-off)
    clipped to 0 -- robust for singular covariances, no scipy needed.
    """
    mu1, mu2 = torch.as_tensor(mu1).double(), torch.as_tensor(mu2).double()
    c1, c2 = torch.as_tensor(cov1).double(), torch.as_tensor(cov2).double()
    if mu1.shape != mu2.shape or c1.shape != c2.shape or c1.shape != (mu1.numel(), mu1.numel()):
        raise ValueError(f"shape mismatch: mu {tuple(mu1.shape)}/{tuple(mu2.shape)}, "
                         f"cov {tuple(c1.shape)}/{tuple(c2.shape)}")
    s1 = _psd_sqrt(c1)
    m = s1 @ c2 @ s1
    eig = torch.linalg.eigvalsh((m + m.T) / 2).clamp(min=0)
    d = (mu1 - mu2).pow(2).sum() + torch.trace(c1) + torch.trace(c2) - 2 * eig.sqrt().sum()
    return max(float(d), 0.0)


def confident_pct(logits: torch.Tensor, threshold: float = CONFIDENT) -> float:
    """Percent of rows whose max softmax probability exceeds `threshold`."""
    p = logits.float().softmax(1).max(1).values
    return 100.0 * (p > threshold).float().mean().item()


def class_histogram(labels: torch.Tensor, num_classes: int) -> list[int]:
    """Counts of each class among `labels` (N,); a label outside [0, num_classes) raises."""
    labels = labels.long().cpu()
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"class predictions must lie in [0, {num_classes - 1}]")
    return torch.bincount(labels, minlength=num_classes).tolist()


def class_entropy(hist: list[int]) -> float:
    """Shannon entropy of the histogram's distribution, in nats (0 = one class, ln K = uniform)."""
    n = sum(hist)
    if n == 0:
        return 0.0
    return max(0.0, -sum(c / n * math.log(c / n) for c in hist if c > 0))


def pairwise_rms(x: torch.Tensor) -> float:
    """Mean over pairs i < j of the RMS pixel difference ||x_i - x_j||_2 / sqrt(D), images in [0, 1]."""
    f = x.flatten(1).double()
    n = f.shape[0]
    if n < 2:
        raise ValueError("need at least 2 samples for a pairwise distance")
    d = torch.cdist(f, f)  # (n, n) Euclidean
    return float(d.sum() / (n * (n - 1)) / math.sqrt(f.shape[1]))


def within_class_diversity(images: torch.Tensor, labels: torch.Tensor, num_classes: int,
                           per_class: int = DIV_PER_CLASS) -> float:
    """Mean over classes (with >= 2 samples) of `pairwise_rms` of that class's images (in [-1, 1]).

    Distances are on the [0, 1] intensity scale. At most `per_class` images (the first ones) per class.
    Returns NaN when no class has two samples.
    """
    x01 = (images.float().cpu() + 1) / 2
    labels = labels.cpu()
    vals = []
    for k in range(num_classes):
        idx = (labels == k).nonzero().squeeze(1)[:per_class]
        if idx.numel() >= 2:
            vals.append(pairwise_rms(x01[idx]))
    return sum(vals) / len(vals) if vals else float("nan")


# ----------------------------------------------------------------------------------------------
# scoring models against real data


@dataclass
class RealReference:
    """Judge statistics of the real test set, computed once and reused for every checkpoint."""

    mu: torch.Tensor
    cov: torch.Tensor
    num_classes: int
    n: int  # images behind mu / cov
    within_class_div: dict[int, float]  # sample size -> diversity of that many real test images


def real_reference(judge, real_test: Dataset) -> RealReference:
    """Fit the Gaussian of the judge's features on the whole real test set."""
    mu, cov = feature_stats(judge.features(real_test.images))
    return RealReference(mu, cov, real_test.num_classes, len(real_test), {})


def _real_div(ref: RealReference, real_test: Dataset, n: int, seed: int) -> float:
    """Within-class diversity of n real test images (random subset by `seed`), true labels."""
    if n not in ref.within_class_div:
        g = torch.Generator().manual_seed(seed + 7919)
        idx = torch.randperm(len(real_test), generator=g)[:n]
        ref.within_class_div[n] = within_class_diversity(real_test.images[idx.to(real_test.images.device)],
                                                         real_test.labels[idx.to(real_test.labels.device)],
                                                         ref.num_classes)
    return ref.within_class_div[n]


@torch.no_grad()
def generate_many(model: GenerativeModel, n: int, seed: int,
                  batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n samples (CPU, float32) from noise drawn on the CPU by `seed`; conditional models get
    balanced labels (i % K) which are returned as the second value (None otherwise)."""
    g = torch.Generator().manual_seed(int(seed))
    dev = next(model.parameters()).device
    z = model.latent(n, g)
    y = torch.arange(n) % model.cfg.num_classes if model.conditional else None
    was = model.training
    model.eval()
    try:
        xs = [model.generate(z[i:i + batch].to(dev), None if y is None else y[i:i + batch].to(dev)).float().cpu()
              for i in range(0, n, batch)]
    finally:
        model.train(was)
    return torch.cat(xs), y


def score_images(images: torch.Tensor, judge, ref: RealReference, conditions: torch.Tensor | None = None) -> dict:
    """fd, confident_pct, class_hist, class_entropy, within_class_div of `images` (N, C, H, W).

    Diversity groups images by `conditions` when given (the cGAN's labels), else by the judge's class.
    """
    feats = judge.features(images)
    pred = judge.head(feats.to(next(judge.parameters()).device)).float().cpu()
    mu, cov = feature_stats(feats)
    hist = class_histogram(pred.argmax(1), ref.num_classes)
    groups = conditions if conditions is not None else pred.argmax(1)
    return {
        "fd": frechet_distance(mu, cov, ref.mu, ref.cov),
        "confident_pct": confident_pct(pred),
        "class_hist": hist,
        "class_entropy": class_entropy(hist),
        "within_class_div": within_class_diversity(images, groups, ref.num_classes),
    }


@torch.no_grad()
def vae_scores(model: GenerativeModel, train: Dataset, test: Dataset, n: int, seed: int,
               batch: int = 1000) -> dict:
    """VAE reconstruction error and ELBO, per pixel in nats, normalized as the VAE trains (normgen.losses):

    rec_error = mean over test images and pixels of BCE(sigmoid(decoder(mu)), (x + 1) / 2)  [z = mu]
    rec_mse   = mean squared error of that reconstruction on the [0, 1] scale
    elbo      = -(BCE(decoder(z)) + KL(q(z|x) || N(0, I))) / pixels, one z ~ q(z|x) per image (seeded);
                the true ELBO (beta = 1) whatever beta the model trained with
    (BCE and KL are normgen.losses.bernoulli_nll / gaussian_kl, the terms the VAE trains with.)
    elbo_gap  = elbo_train - elbo_test (> 0: fits training images better than unseen ones)
    Uses the first `n` test images and `n` random training images.
    """
    if not family(model.cfg.name).has_elbo:
        raise ValueError("vae_scores needs a VAE")
    dev = next(model.parameters()).device
    was = model.training
    model.eval()

    def elbo_rec(x: torch.Tensor, g: torch.Generator) -> tuple[float, float, float]:
        """Per-pixel means over all of `x`: each batch's per-pixel mean, weighted by its share of `x`."""
        tot_elbo = tot_rec = tot_mse = 0.0
        pixels = x[0].numel()
        for i in range(0, x.shape[0], batch):
            xb = x[i:i + batch].to(dev).float()
            share = xb.shape[0] / x.shape[0]
            mu, logvar = model.encode(xb)
            eps = torch.randn(mu.shape, generator=g).to(dev)
            logits = model.decode_logits(model.reparameterize(mu, logvar, eps))
            tot_elbo -= share * float(losses.bernoulli_nll(logits, xb) + losses.gaussian_kl(mu, logvar, pixels))
            logits_mu = model.decode_logits(mu)
            tot_rec += share * float(losses.bernoulli_nll(logits_mu, xb))
            tot_mse += share * float((torch.sigmoid(logits_mu) - (xb + 1) / 2).pow(2).mean())
        return tot_elbo, tot_rec, tot_mse

    try:
        g = torch.Generator().manual_seed(seed + 1)
        idx = torch.randperm(len(train), generator=g)[:n]
        elbo_train, _, _ = elbo_rec(train.images[idx.to(train.images.device)], torch.Generator().manual_seed(seed))
        elbo_test, rec, mse = elbo_rec(test.images[:n], torch.Generator().manual_seed(seed))
    finally:
        model.train(was)
    return {"rec_error": rec, "rec_mse": mse, "elbo_test": elbo_test, "elbo_train": elbo_train,
            "elbo_gap": elbo_train - elbo_test}


INK = 0.5  # a pixel is ink when brighter than mid-grey ([0, 1] scale; MNIST strokes are white on black)


@torch.no_grad()
def picture_stats(images: torch.Tensor) -> dict[str, float]:
    """What a grid of samples looks like, in numbers a collapse can be described by (issue 25: "blank" was
    written where every sample was the same stroke): ink_pct, the % of pixels brighter than mid-grey, and
    pixel_spread, the standard deviation across samples of each pixel, averaged over pixels ([0, 1] scale:
    0 = every sample the same picture; real MNIST digits ~0.3)."""
    x = (images.float() + 1) / 2  # [-1, 1] -> [0, 1]
    return {"ink_pct": 100.0 * (x > INK).double().mean().item(),
            "pixel_spread": x.std(dim=0).mean().item() if len(x) > 1 else 0.0}


@torch.no_grad()
def asked_pct(judge, images: torch.Tensor, conditions: torch.Tensor) -> float:
    """% of a conditional model's samples the judge classifies as the class they were asked for."""
    pred = judge.logits(images).cpu().argmax(1)
    return 100.0 * (pred == conditions.cpu()).double().mean().item()


def evaluate(model: GenerativeModel, judge, real_test: Dataset, *, n: int = DEFAULT_N, seed: int = 0,
             ref: RealReference | None = None, train: Dataset | None = None) -> dict:
    """All metrics of one model: judge scores of `n` samples drawn with `seed`, against the real
    test set, plus real_within_class_div of `n` real test images (true labels) for comparison.

    What the samples look like: ink_pct and pixel_spread (picture_stats); a conditional model also
    asked_pct. VAE (when `train` is given): rec_error, rec_mse, elbo_test, elbo_train, elbo_gap (vae_scores).
    """
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    ref = ref or real_reference(judge, real_test)
    x, y = generate_many(model, n, seed)
    out = score_images(x, judge, ref, conditions=y)
    out.update(picture_stats(x))
    if y is not None:
        out["asked_pct"] = asked_pct(judge, x, y)
    out["real_within_class_div"] = _real_div(ref, real_test, n, seed)
    out["n"] = n
    if family(model.cfg.name).has_elbo and train is not None:
        out.update(vae_scores(model, train, real_test, n, seed))
    return out


def floor(judge, train: Dataset, test: Dataset, *, n: int = DEFAULT_N, seed: int = 0,
          ref: RealReference | None = None) -> dict:
    """The same scores for `n` random real training images against the real test set: the floor
    (a perfect generator of the training distribution would score about this)."""
    ref = ref or real_reference(judge, test)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(train), generator=g)[:n]
    x = train.images[idx.to(train.images.device)].cpu()
    out = score_images(x, judge, ref)
    out["real_within_class_div"] = _real_div(ref, test, n, seed)
    out["n"] = n
    return out


def sampling_draws(model: GenerativeModel, judge, ref: RealReference, *, n: int,
                   seeds: tuple[int, ...]) -> dict[str, list[float]]:
    """Judge scores of `n` samples for each noise seed in `seeds`: {"fd": [...], "confident_pct": [...],
    "class_entropy": [...]}, one value per draw. Redrawing the noise moves a GAN's FD by several points,
    about as much as retraining it with another seed, so one draw cannot tell an effect from luck."""
    out: dict[str, list[float]] = {"fd": [], "confident_pct": [], "class_entropy": []}
    for s in seeds:
        x, y = generate_many(model, n, s)
        r = score_images(x, judge, ref, conditions=y)
        for k in out:
            out[k].append(float(r[k]))
    return out
