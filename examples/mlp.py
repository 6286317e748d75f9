"""A two-layer tanh network with a softmax cross-entropy loss, trained by ast_ad gradients."""

import numpy as np

from ast_ad import differentiate


def loss(W1, b1, W2, b2, X, Y):
    """Mean cross-entropy of a softmax over the logits; Y is one-hot."""
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    top = np.max(logits, axis=1, keepdims=True)
    shifted = logits - top
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * log_probs, axis=1))


rng = np.random.default_rng(1)
X = rng.normal(size=(300, 2))
labels = (X[:, 0] * X[:, 1] > 0).astype(int)  # an XOR-like pattern: not linearly separable
Y = np.eye(2)[labels]
params = [0.5 * rng.normal(size=(2, 16)), np.zeros(16), 0.5 * rng.normal(size=(16, 2)), np.zeros(2)]

gradient = differentiate(loss, wrt=(0, 1, 2, 3))
for step in range(301):
    grads = gradient(*params, X, Y)
    params = [p - 0.5 * g for p, g in zip(params, grads)]
    if step % 60 == 0:
        accuracy = np.mean(np.argmax(np.tanh(X @ params[0] + params[1]) @ params[2] + params[3],
                                     axis=1) == labels)
        print(f"step {step:3d}  loss {loss(*params, X, Y):.4f}  accuracy {accuracy:.2f}")

direction = [rng.normal(size=np.shape(p)) for p in params]
h = 1e-6
shifted = [[p + s * h * d for p, d in zip(params, direction)] for s in (1, -1)]
numeric = (loss(*shifted[0], X, Y) - loss(*shifted[1], X, Y)) / (2 * h)
ours = sum(np.sum(g * d) for g, d in zip(gradient(*params, X, Y), direction))
assert abs(ours - numeric) < 1e-6 * max(1.0, abs(numeric))
print("gradient matches finite differences")
