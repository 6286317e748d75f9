"""The five workloads of compiled derivatives, in the subset Numba compiles, with their
gradients written by hand for Numba to compile: what the tests check compiled
derivatives on, and what `benchmarks/bench_numba.py` (and, for the first two,
`bench_loops.py`) times them against. Numba is not imported here: the workloads are
plain Python until a caller compiles them."""

import math

import numpy as np

H = 0.01  # the pendulum's time step


def logistic(x):
    for _ in range(100):
        x = 4.0 * x * (1.0 - x)
    return x


def trig_sum(x, y):
    s = 0.0
    for i in range(50):
        s = s + math.sin(x * i) * math.cos(y + i)
    return s


def pendulum(theta, omega):
    """The angle after 200 steps of RK4 on theta'' = -sin(theta)."""
    for _ in range(200):
        k1t = omega
        k1w = -math.sin(theta)
        k2t = omega + 0.5 * H * k1w
        k2w = -math.sin(theta + 0.5 * H * k1t)
        k3t = omega + 0.5 * H * k2w
        k3w = -math.sin(theta + 0.5 * H * k2t)
        k4t = omega + H * k3w
        k4w = -math.sin(theta + H * k3t)
        theta = theta + H / 6.0 * (k1t + 2.0 * k2t + 2.0 * k3t + k4t)
        omega = omega + H / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w)
    return theta


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def mlp(w1, w2, x):
    h = np.tanh(x @ w1)
    y = h @ w2
    return np.sum(y ** 2)


def logistic_by_hand(x):
    xs = np.empty(100)
    for k in range(100):
        xs[k] = x
        x = 4.0 * x * (1.0 - x)
    x_bar = 1.0
    for k in range(99, -1, -1):
        x_bar = x_bar * (4.0 - 8.0 * xs[k])
    return x_bar


def trig_sum_by_hand(x, y):
    x_bar = 0.0
    y_bar = 0.0
    for i in range(50):
        a, b = x * i, y + i
        x_bar += math.cos(a) * i * math.cos(b)
        y_bar -= math.sin(a) * math.sin(b)
    return x_bar, y_bar


def pendulum_by_hand(theta, omega):
    thetas, omegas = np.empty(200), np.empty(200)
    for k in range(200):
        thetas[k], omegas[k] = theta, omega
        k1t = omega
        k1w = -math.sin(theta)
        k2t = omega + 0.5 * H * k1w
        k2w = -math.sin(theta + 0.5 * H * k1t)
        k3t = omega + 0.5 * H * k2w
        k3w = -math.sin(theta + 0.5 * H * k2t)
        k4t = omega + H * k3w
        k4w = -math.sin(theta + H * k3t)
        theta = theta + H / 6.0 * (k1t + 2.0 * k2t + 2.0 * k3t + k4t)
        omega = omega + H / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w)
    t_bar, w_bar = 1.0, 0.0
    c = H / 6.0
    for k in range(199, -1, -1):
        t, w = thetas[k], omegas[k]
        k1t = w
        k2t = w + 0.5 * H * -math.sin(t)
        a2 = t + 0.5 * H * k1t
        k2w = -math.sin(a2)
        k3t = w + 0.5 * H * k2w
        a3 = t + 0.5 * H * k2t
        a4 = t + H * k3t
        k1t_b, k2t_b, k3t_b, k4t_b = c * t_bar, 2 * c * t_bar, 2 * c * t_bar, c * t_bar
        k1w_b, k2w_b, k3w_b, k4w_b = c * w_bar, 2 * c * w_bar, 2 * c * w_bar, c * w_bar
        a4_b = -math.cos(a4) * k4w_b
        t_bar += a4_b
        k3t_b += H * a4_b
        w_bar += k4t_b
        k3w_b += H * k4t_b
        a3_b = -math.cos(a3) * k3w_b
        t_bar += a3_b
        k2t_b += 0.5 * H * a3_b
        w_bar += k3t_b
        k2w_b += 0.5 * H * k3t_b
        a2_b = -math.cos(a2) * k2w_b
        t_bar += a2_b
        k1t_b += 0.5 * H * a2_b
        w_bar += k2t_b
        k1w_b += 0.5 * H * k2t_b
        t_bar -= math.cos(t) * k1w_b
        w_bar += k1t_b
    return t_bar, w_bar


def rosenbrock_by_hand(x):
    g = np.zeros(x.shape[0])
    for i in range(x.shape[0] - 1):
        t = x[i + 1] - x[i] ** 2
        g[i + 1] += 200.0 * t
        g[i] += -400.0 * t * x[i] - 2.0 * (1.0 - x[i])
    return g


def mlp_by_hand(w1, w2, x):
    h = np.tanh(x @ w1)
    y = h @ w2
    y_bar = 2.0 * y
    a_bar = (y_bar @ w2.T) * (1.0 - h * h)
    return x.T @ a_bar, h.T @ y_bar


def mlp_arguments(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(10, 32)), rng.normal(size=(32, 1)), rng.normal(size=(64, 10))


# Each workload: its function, its `wrt`, the arguments it is timed at, its hand-written
# gradient (to be compiled with `numba.njit`).
WORKLOADS = {
    "logistic map, 100 steps": (logistic, 0, (0.3,), logistic_by_hand),
    "sin-cos loop, 50 terms": (trig_sum, (0, 1), (0.3, 0.7), trig_sum_by_hand),
    "RK4 pendulum, 200 steps": (pendulum, (0, 1), (0.3, 0.1), pendulum_by_hand),
    "Rosenbrock loop, n = 1000": (rosenbrock, 0, (np.linspace(-1.0, 1.5, 1000),),
                                  rosenbrock_by_hand),
    "MLP, 64 x 10 -> 32 -> 1": (mlp, (0, 1), mlp_arguments(), mlp_by_hand),
}
