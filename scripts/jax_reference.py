#!/usr/bin/env python3
"""The reference cell of the paper sweep in JAX, jit-compiled, for a side-by-side with SegSweep.

Written from docs/CORE.md (model, data, losses, Adam, batch norm with moving averages, evaluation,
a step) and the fixed parameters of sweeps/paper.yaml: 10,001 steps, batch 2, 32x32 images, two
3x3 conv layers of 4 filters, learning rate 1e-3, an evaluation every 250 steps (step 0 included)
on 100 validation images, all five losses tracked. The cell is cce, theta 0.95, Adam, with
`--batch-norm on|off`.

Every step does the work of SegSweep's step: it draws the batch, runs the forward pass once, and
computes the value, the full parameter gradient and the gradient's global L2 norm of each of the
five losses (one forward pass, the five backward passes batched with vmap); then the Adam update
with the cce gradient and the batch-norm moving averages; every 250 steps the evaluation on the
validation set with the moving statistics.

"Tuned" means: the whole run (initialisation, the validation set, every step, every evaluation)
is one jitted function, one dispatch from Python, so Python dispatch is not what is measured:
the batches are drawn with jax.random inside it, the steps are one lax.scan and the evaluation a
lax.cond in the scan's body that runs on eval steps only. The 3x3 convs are im2col matmuls, which
ran 2-3x faster than lax.conv_general_dilated on this model in 300-step trials (`--conv lax`
keeps the other for checking). The run is compiled ahead of time (lower + compile); the compile
time is printed apart from the run time, which alone gives the steps/s figure.

It is not bit-identical to SegSweep: JAX's random numbers (threefry) are not SegSweep's
SplitMix64/xoshiro256** streams, XLA orders its sums its own way in Float32 (SegSweep sums losses
and batch-norm statistics in Double, in a fixed serial order), and uses its own exp and log. It
trains the same task, so its final cce loss and validation accuracy are comparable in kind.

One core: XLA_FLAGS is set before jax is imported (no Eigen thread pool); pin the process with
`taskset -c N` as scripts/bench-jax.sh does. XLA's CPU runtime flushes subnormals to zero, as
SegSweep does; the output says whether this run did (a probe multiplies two arguments in jit).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import NamedTuple, TypeVar

# One thread: appended, so these come after whatever XLA_FLAGS already holds.
ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"
os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {ONE_THREAD}".strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402  (XLA_FLAGS must be set first)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

LOSSES = ("cce", "dice", "dice_square", "dicefg", "dicefg_square")
EPSILON = np.float32(1e-7)  # the losses' epsilon (docs/CORE.md, "Losses")
BN_EPSILON = np.float32(1e-3)

Params = list[dict[str, jax.Array]]  # one dict per layer: kernel and bias, or kernel, gamma, beta
Moving = list[tuple[jax.Array, jax.Array]]  # (moving_mean, moving_variance) per batch-norm layer
Tree = TypeVar("Tree")


class Config(NamedTuple):
    """The cell: the paper sweep's fixed parameters plus the grid point (cce, theta, Adam)."""

    steps: int = 10_001
    batch_size: int = 2
    image_size: int = 32
    conv_layers: int = 2
    filters: int = 4
    learning_rate: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    adam_epsilon: float = 1e-8
    bn_momentum: float = 0.99
    eval_every: int = 250
    eval_images: int = 100
    theta: float = 0.95
    batch_norm: bool = False
    conv: str = "im2col"
    seed: int = 1


class State(NamedTuple):
    """What a step carries to the next: weights, Adam's moments, moving averages, divergence."""

    params: Params
    m: Params
    v: Params
    moving: Moving
    # The first step whose losses or gradient norms were not finite, or -1. From there on no
    # update happens (SegSweep stops at that step; a scan cannot, so it freezes the state).
    diverged_at: jax.Array


# --- model -------------------------------------------------------------------------------------


def conv3x3_im2col(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """3x3 'same' conv as one matmul: x is (N,H,W,Cin), kernel (3,3,Cin,Cout) HWIO."""
    n, h, w, cin = x.shape
    padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    # Columns in (ky, kx, ci) order, the order of the HWIO kernel reshaped to (9*Cin, Cout).
    patches = jnp.concatenate(
        [padded[:, ky : ky + h, kx : kx + w, :] for ky in range(3) for kx in range(3)], axis=-1
    )
    return patches @ kernel.reshape(9 * cin, -1)


def conv3x3_lax(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """3x3 'same' conv with lax.conv_general_dilated, NHWC/HWIO."""
    return lax.conv_general_dilated(
        x, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )


def init_params(key: jax.Array, cfg: Config) -> Params:
    """Glorot-uniform kernels (fan_in = k*k*cin, fan_out = k*k*cout); biases and beta 0, gamma 1."""
    shapes = []
    cin = 1
    for _ in range(cfg.conv_layers):
        shapes.append((3, 3, cin, cfg.filters))
        cin = cfg.filters
    shapes.append((1, 1, cin, 2))
    keys = jax.random.split(key, len(shapes))
    params: Params = []
    for index, (shape, k) in enumerate(zip(shapes, keys)):
        ksize, _, fan_cin, cout = shape
        limit = np.float32(np.sqrt(6.0 / (ksize * ksize * fan_cin + ksize * ksize * cout)))
        kernel = (2 * jax.random.uniform(k, shape, jnp.float32) - 1) * limit
        zeros = jnp.zeros((cout,), jnp.float32)
        if cfg.batch_norm and index < cfg.conv_layers:
            ones = jnp.ones((cout,), jnp.float32)
            params.append({"kernel": kernel, "gamma": ones, "beta": zeros})
        else:
            params.append({"kernel": kernel, "bias": zeros})
    return params


def forward(
    params: Params, x: jax.Array, cfg: Config, moving: Moving | None
) -> tuple[jax.Array, Moving]:
    """Logits (N,H,W,2) of images x (N,H,W,1), and each batch-norm layer's batch (mean, var).

    With `moving` given, batch norm evaluates with those moving averages (bn_eval: moving);
    without, it normalises with the statistics of the batch it sees (training).
    """
    conv = conv3x3_im2col if cfg.conv == "im2col" else conv3x3_lax
    stats: Moving = []
    for index, layer in enumerate(params[:-1]):
        x = conv(x, layer["kernel"])
        if cfg.batch_norm:
            if moving is None:
                mean = jnp.mean(x, axis=(0, 1, 2))
                var = jnp.mean(jnp.square(x - mean), axis=(0, 1, 2))  # biased
                stats.append((mean, var))
                x = layer["gamma"] * (x - mean) * (1 / jnp.sqrt(var + BN_EPSILON)) + layer["beta"]
            else:
                moving_mean, moving_var = moving[index]
                scale = 1 / jnp.sqrt(moving_var + BN_EPSILON) * layer["gamma"]
                x = (x - moving_mean) * scale + layer["beta"]
        else:
            x = x + layer["bias"]
        x = jnp.where(x < 0, 0, x)  # ReLU as the spec reads: x < 0 ? 0 : x
    out = params[-1]
    logits = x @ out["kernel"].reshape(x.shape[-1], 2) + out["bias"]
    return logits, stats


def losses(p: jax.Array, y: jax.Array) -> jax.Array:
    """The five losses (LOSSES order) of softmax output p and one-hot labels y, both (N,H,W,2)."""
    clipped = jnp.clip(p, EPSILON, 1 - EPSILON)  # no gradient where p is clipped
    cce = jnp.mean(-jnp.sum(y * jnp.log(clipped), axis=-1))
    axes = (0, 1, 2)
    intersection = jnp.sum(y * p, axis=axes)  # per class
    sum_y, sum_p = jnp.sum(y, axis=axes), jnp.sum(p, axis=axes)
    sum_y2, sum_p2 = jnp.sum(y * y, axis=axes), jnp.sum(p * p, axis=axes)
    # 1 - 1/2 sum_c (2 sum y_c p_c + eps) / (sum y_c + sum p_c + eps), and its squared form.
    dice_c = (2 * intersection + EPSILON) / (sum_y + sum_p + EPSILON)
    dice_square_c = (2 * intersection + EPSILON) / (sum_y2 + sum_p2 + EPSILON)
    return jnp.stack(
        [
            cce,
            1 - 0.5 * jnp.sum(dice_c),
            1 - 0.5 * jnp.sum(dice_square_c),
            1 - dice_c[1],  # dicefg: the foreground class only
            1 - dice_square_c[1],
        ]
    )


# --- one training step ---------------------------------------------------------------------------


def draw_images(key: jax.Array, count: int, cfg: Config) -> tuple[jax.Array, jax.Array]:
    """Uniform [0,1) images (count,H,W,1) and their one-hot labels: foreground where x > theta."""
    x = jax.random.uniform(key, (count, cfg.image_size, cfg.image_size, 1), jnp.float32)
    foreground = (x[..., 0] > np.float32(cfg.theta)).astype(jnp.float32)
    return x, jnp.stack([1 - foreground, foreground], axis=-1)


def train_step(
    state: State, step: jax.Array, train_key: jax.Array, cfg: Config
) -> tuple[State, tuple[jax.Array, jax.Array]]:
    """Step `step`: its five losses and gradient norms (before the update), and the new state."""
    x, y = draw_images(jax.random.fold_in(train_key, step), cfg.batch_size, cfg)

    def loss_values(params: Params) -> tuple[jax.Array, Moving]:
        logits, stats = forward(params, x, cfg, None)
        return losses(jax.nn.softmax(logits, axis=-1), y), stats

    # One forward pass; the five backward passes as one vmapped VJP over unit cotangents.
    values, pullback, stats = jax.vjp(loss_values, state.params, has_aux=True)
    (grads,) = jax.vmap(pullback)(jnp.eye(len(LOSSES), dtype=jnp.float32))
    norms = jnp.sqrt(
        sum(jnp.sum(jnp.square(g).reshape(len(LOSSES), -1), axis=1) for g in jax.tree.leaves(grads))
    )

    finite = jnp.all(jnp.isfinite(values)) & jnp.all(jnp.isfinite(norms))
    update = finite & (state.diverged_at < 0)
    diverged_at = jnp.where((state.diverged_at < 0) & ~finite, step, state.diverged_at)

    # Adam (TensorFlow/Keras form) with the cce gradient, t = step + 1.
    g = jax.tree.map(lambda leaf: leaf[LOSSES.index("cce")], grads)
    b1, b2 = np.float32(cfg.beta1), np.float32(cfg.beta2)
    t = (step + 1).astype(jnp.float32)
    lr_t = np.float32(cfg.learning_rate) * jnp.sqrt(1 - jnp.power(b2, t)) / (1 - jnp.power(b1, t))
    m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, state.m, g)
    v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, state.v, g)
    params = jax.tree.map(
        lambda w, m, v: w - lr_t * m / (jnp.sqrt(v) + np.float32(cfg.adam_epsilon)),
        state.params,
        m,
        v,
    )

    # The moving averages take this step's batch statistics, with the Bessel correction N/(N-1).
    decay = np.float32(1 - cfg.bn_momentum)
    n = cfg.batch_size * cfg.image_size * cfg.image_size
    bessel = np.float32(n) / np.float32(n - 1)
    moving = [
        (mm - (mm - mean) * decay, mv - (mv - var * bessel) * decay)
        for (mm, mv), (mean, var) in zip(state.moving, stats)
    ]

    def keep(new: Tree, old: Tree) -> Tree:
        """`new` where this step updates, else `old` (a diverged step changes nothing)."""
        return jax.tree.map(lambda a, b: jnp.where(update, a, b), new, old)

    new_state = State(
        params=keep(params, state.params),
        m=keep(m, state.m),
        v=keep(v, state.v),
        moving=keep(moving, state.moving),
        diverged_at=diverged_at,
    )
    return new_state, (values, norms)


def correct_pixels(state: State, images: jax.Array, labels: jax.Array, cfg: Config) -> jax.Array:
    """Correctly predicted validation pixels: argmax of the two logits, a tie predicting class 0."""
    logits, _ = forward(state.params, images, cfg, state.moving if cfg.batch_norm else None)
    predicted = jnp.argmax(logits, axis=-1)  # the first maximum: class 0 on a tie
    return jnp.sum(predicted == jnp.argmax(labels, axis=-1))


# --- the whole run -------------------------------------------------------------------------------


class Run(NamedTuple):
    """What the jitted run returns: per-step losses and norms, per-evaluation correct pixels."""

    values: jax.Array  # (steps, 5)
    norms: jax.Array  # (steps, 5)
    correct: jax.Array  # (evaluations,) on steps 0, eval_every, 2*eval_every, ...
    diverged_at: jax.Array


def whole_run(key: jax.Array, cfg: Config) -> Run:
    """Initialise, draw the validation set, train cfg.steps steps, evaluate every eval_every."""
    init_key, train_key, val_key = jax.random.split(key, 3)
    params = init_params(init_key, cfg)
    zeros = jax.tree.map(jnp.zeros_like, params)
    moving: Moving = [
        (jnp.zeros((cfg.filters,), jnp.float32), jnp.ones((cfg.filters,), jnp.float32))
        for _ in range(cfg.conv_layers if cfg.batch_norm else 0)
    ]
    state = State(params, zeros, zeros, moving, jnp.int32(-1))
    val_x, val_y = draw_images(val_key, cfg.eval_images, cfg)

    def step(state: State, i: jax.Array) -> tuple[State, tuple[jax.Array, jax.Array, jax.Array]]:
        """Step i, then on an eval step the correct validation pixels (else -1)."""
        state, (values, norms) = train_step(state, i, train_key, cfg)
        correct = lax.cond(
            i % cfg.eval_every == 0,
            lambda s: correct_pixels(s, val_x, val_y, cfg).astype(jnp.int32),
            lambda s: jnp.int32(-1),
            state,
        )
        return state, (values, norms, correct)

    # Every step in one scan: one copy of the step in the compiled program. The evaluation is a
    # conditional that runs only on eval steps.
    state, (values, norms, correct) = lax.scan(step, state, jnp.arange(cfg.steps, dtype=jnp.int32))
    correct = correct[:: cfg.eval_every]
    return Run(values, norms, correct, state.diverged_at)


def subnormals_flushed() -> bool:
    """Whether jitted code on this device flushes a subnormal product to zero."""
    product = jax.jit(lambda a, b: a * b)(jnp.float32(1e-20), jnp.float32(1e-20))
    return float(product) == 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-norm", choices=("on", "off"), default="off")
    parser.add_argument(
        "--steps", type=int, default=10_001, help="training steps (default 10001, the paper's)"
    )
    parser.add_argument(
        "--conv",
        choices=("im2col", "lax"),
        default="im2col",
        help="3x3 conv as a patch matmul (default; the faster here) or lax.conv_general_dilated",
    )
    parser.add_argument("--seed", type=int, default=1, help="JAX PRNG seed (not SegSweep's)")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    cfg = Config(
        steps=args.steps, batch_norm=args.batch_norm == "on", conv=args.conv, seed=args.seed
    )

    print(
        f"jax {jax.__version__}, {jax.devices()[0].platform}, conv {cfg.conv}, "
        f"subnormals flushed: {'yes' if subnormals_flushed() else 'no'}"
    )
    print(
        f"cell: loss=cce theta={cfg.theta} optimizer=adam "
        f"batch_norm={str(cfg.batch_norm).lower()} seed={cfg.seed} (JAX PRNG), {cfg.steps} steps"
    )

    key = jax.random.PRNGKey(cfg.seed)
    start = time.perf_counter()
    compiled = jax.jit(whole_run, static_argnums=1).lower(key, cfg).compile()
    compile_seconds = time.perf_counter() - start

    start = time.perf_counter()
    result = jax.block_until_ready(compiled(key))
    run_seconds = time.perf_counter() - start

    values, norms = np.asarray(result.values), np.asarray(result.norms)
    correct = np.asarray(result.correct)
    diverged_at = int(result.diverged_at)
    eval_steps = [i * cfg.eval_every for i in range(len(correct))]
    if diverged_at >= 0:  # evaluations after the diverged step do not count
        kept = [i for i, s in enumerate(eval_steps) if s < diverged_at]
        correct, eval_steps = correct[kept], [eval_steps[i] for i in kept]
    accuracy = correct.astype(np.float64) / (cfg.eval_images * cfg.image_size**2)
    last = cfg.steps - 1 if diverged_at < 0 else diverged_at

    print(f"status           {'ok' if diverged_at < 0 else f'diverged at step {diverged_at}'}")
    if len(accuracy):
        best = int(np.argmax(accuracy))
        print(f"final accuracy   {accuracy[-1]:.4f} (step {eval_steps[-1]})")
        print(f"best accuracy    {accuracy[best]:.4f} (step {eval_steps[best]})")
    print(f"final losses     (step {last})")
    for index, name in enumerate(LOSSES):
        print(f"  {name:<14} {values[last, index]:<12.8g} grad norm {norms[last, index]:.8g}")
    # Wall times; scripts/bench-jax.sh reads the next two lines.
    print(f"compile          {compile_seconds:.3f} s (lower + XLA compile; not in the run time)")
    print(
        f"run              {run_seconds:.3f} s for {cfg.steps} steps and "
        f"{len(result.correct)} evaluations, {cfg.steps / run_seconds:.0f} steps/s "
        "(compile excluded)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
