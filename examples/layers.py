"""A network of any depth, its layers a list of (W, b) pairs looped over, trained by
ast_ad gradients that come back in the same list of pairs, as JAX's would."""

import numpy as np

from ast_ad import differentiate, source


def loss(layers, X, y):
    """Mean squared error of a tanh network whose last layer is linear."""
    h = X
    for W, b in layers[:-1]:
        h = np.tanh(h @ W + b)
    W, b = layers[-1]
    return np.mean((h @ W + b - y) ** 2)


rng = np.random.default_rng(2)
X = rng.uniform(-2.0, 2.0, size=(200, 1))
y = np.sin(2.0 * X)
sizes = [1, 16, 16, 1]
layers = [(rng.normal(size=(m, n)) / np.sqrt(m), np.zeros(n)) for m, n in zip(sizes, sizes[1:])]

gradient = differentiate(loss)
print(source(gradient).splitlines()[0])
for step in range(1501):
    grads = gradient(layers, X, y)
    layers = [(W - 0.1 * dW, b - 0.1 * db) for (W, b), (dW, db) in zip(layers, grads)]
    if step % 500 == 0:
        print(f"step {step:4d}  loss {loss(layers, X, y):.4f}")
print("gradient is a", type(grads).__name__, "of", type(grads[0]).__name__, "pairs")

direction = [(rng.normal(size=W.shape), rng.normal(size=b.shape)) for W, b in layers]
h = 1e-6
moved = [[(W + s * h * dW, b + s * h * db) for (W, b), (dW, db) in zip(layers, direction)]
         for s in (1, -1)]
numeric = (loss(moved[0], X, y) - loss(moved[1], X, y)) / (2 * h)
ours = sum(np.sum(dW * vW) + np.sum(db * vb)
           for (dW, db), (vW, vb) in zip(gradient(layers, X, y), direction))
assert abs(ours - numeric) < 1e-6 * max(1.0, abs(numeric))
print("gradient matches finite differences")
