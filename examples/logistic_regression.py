"""Logistic regression trained by gradient descent, with gradients written by ast_ad.

The loss is plain NumPy; `differentiate` turns it into a gradient function once, and
every step calls that generated code.
"""

import numpy as np

from ast_ad import differentiate, source


def loss(w, b, X, y):
    """Mean negative log-likelihood; labels y are -1 or 1."""
    z = X @ w + b
    return np.mean(np.log1p(np.exp(-y * z)))


rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3))
y = np.sign(X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.5 * rng.normal(size=200))

gradient = differentiate(loss, wrt=(0, 1))
print(source(gradient))

w, b = np.zeros(3), 0.0
for step in range(201):
    w_bar, b_bar = gradient(w, b, X, y)
    w, b = w - 0.5 * w_bar, b - 0.5 * b_bar
    if step % 50 == 0:
        print(f"step {step:3d}  loss {loss(w, b, X, y):.4f}")

direction = rng.normal(size=3)
h = 1e-6
numeric = (loss(w + h * direction, b, X, y) - loss(w - h * direction, b, X, y)) / (2 * h)
assert abs(np.dot(gradient(w, b, X, y)[0], direction) - numeric) < 1e-6
print("gradient matches finite differences")
