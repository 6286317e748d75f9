"""NumPy gradients: ast_ad against hand-written NumPy gradients, autograd, JAX and PyTorch.

Run: python benchmarks/bench_numpy.py. Three losses, each timed side by side in one
process (medians of many repetitions; the samples of ours and of the hand-written
gradient taken in turn):
logistic regression's negative log-likelihood (X 1000 x 100), a 784-256-10 tanh network
with softmax cross-entropy (batch 256), and Rosenbrock's function (n = 10,000). Peers
are timed where installed, skipped otherwise.
"""

import numpy as np
from timing import seconds, side_by_side

from ast_ad import differentiate


def logistic_nll(w, X, y):
    z = X @ w
    return np.sum(np.log1p(np.exp(z)) - y * z)


def logistic_nll_grad(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y)


def mlp_loss(W1, b1, W2, b2, X, Y):
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    top = np.max(logits, axis=1, keepdims=True)
    shifted = logits - top
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * log_probs, axis=1))


def mlp_grad(W1, b1, W2, b2, X, Y):
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    e = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    d_logits = (e / np.sum(e, axis=1, keepdims=True) - Y) / X.shape[0]
    d_H = d_logits @ W2.T * (1.0 - H * H)
    return X.T @ d_H, np.sum(d_H, axis=0), H.T @ d_logits, np.sum(d_logits, axis=0)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_grad(x):
    g = np.zeros_like(x)
    t = x[1:] - x[:-1] ** 2
    g[:-1] = -400.0 * x[:-1] * t - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * t
    return g


def peers(name, function, wrt):
    found = {}
    try:
        import autograd
        import autograd.numpy as anp

        twin = type(function)(function.__code__, dict(function.__globals__, np=anp))
        found["autograd"] = autograd.grad(twin, wrt)
    except ImportError:
        print("  autograd: not installed, skipped")
    try:
        import jax

        jax.config.update("jax_enable_x64", True)  # the same float64 arithmetic as ours
        import jax.numpy as jnp

        twin = type(function)(function.__code__, dict(function.__globals__, np=jnp))
        compiled = jax.jit(jax.grad(twin, wrt))
        # JAX returns before it computes: wait, or the work spills into the next timing.
        found["jax.jit(jax.grad)"] = lambda *args: jax.block_until_ready(compiled(*args))
    except ImportError:
        print("  jax: not installed, skipped")
    if name in TORCH:
        found["PyTorch eager"] = torch_gradient(TORCH[name], wrt)
    else:
        print("  torch: not installed, skipped")
    return found


def torch_gradient(loss, wrt):
    """`torch.autograd.grad` of `loss` with respect to the arguments `wrt`, on tensors."""
    import torch

    positions = wrt if isinstance(wrt, tuple) else (wrt,)

    def gradient(*args):
        tensors = [torch.tensor(a, requires_grad=i in positions) if isinstance(a, np.ndarray)
                   else a for i, a in enumerate(args)]
        return torch.autograd.grad(loss(*tensors), [tensors[i] for i in positions])

    return gradient


def _torch_losses():
    try:
        import torch
    except ImportError:
        return {}

    def nll(w, X, y):
        z = X @ w
        return torch.sum(torch.log1p(torch.exp(z)) - y * z)

    def mlp(W1, b1, W2, b2, X, Y):
        logits = torch.tanh(X @ W1 + b1) @ W2 + b2
        return -torch.mean(torch.sum(Y * torch.log_softmax(logits, dim=1), dim=1))

    def rosen(x):
        return torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return {LOGISTIC: nll, MLP: mlp, ROSENBROCK: rosen}


LOGISTIC = "logistic regression NLL, X 1000 x 100"
MLP = "MLP 784-256-10, tanh, softmax cross-entropy, batch 256"
ROSENBROCK = "Rosenbrock, n = 10,000"
TORCH = _torch_losses()


def compare(name, function, hand, args, wrt):
    ours = differentiate(function, wrt=wrt)
    mine, theirs = ours(*args), hand(*args)
    for a, b in zip(mine if isinstance(wrt, tuple) else [mine],
                    theirs if isinstance(wrt, tuple) else [theirs]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    hand_time, our_time = side_by_side([lambda: hand(*args), lambda: ours(*args)])
    print(f"\n{name}")
    print(f"  {'hand-written NumPy':22s} {hand_time * 1e3:9.3f} ms   1.00")
    print(f"  {'ast_ad':22s} {our_time * 1e3:9.3f} ms {our_time / hand_time:6.2f}")
    # Each peer alone: their thread pools would slow whatever ran next to them.
    for label, gradient in peers(name, function, wrt).items():
        gradient(*args)  # warm up, and compile for jax.jit
        t = seconds(lambda g=gradient: g(*args))
        print(f"  {label:22s} {t * 1e3:9.3f} ms {t / hand_time:6.2f}")


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 100))
    y = (rng.random(1000) < 0.5).astype(float)
    compare(LOGISTIC, logistic_nll, logistic_nll_grad,
            (0.01 * rng.normal(size=100), X, y), 0)
    X = rng.normal(size=(256, 784))
    Y = np.eye(10)[rng.integers(0, 10, 256)]
    params = (0.05 * rng.normal(size=(784, 256)), np.zeros(256),
              0.05 * rng.normal(size=(256, 10)), np.zeros(10))
    compare(MLP, mlp_loss, mlp_grad,
            params + (X, Y), (0, 1, 2, 3))
    compare(ROSENBROCK, rosenbrock, rosenbrock_grad,
            (rng.uniform(-1, 1, 10000),), 0)


if __name__ == "__main__":
    main()
