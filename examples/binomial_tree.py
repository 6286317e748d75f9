"""The Greeks of an American put priced on a binomial tree, by reverse mode: the code as
a quant writes it, with a payoff helper defined inside, a list rebuilt by a comprehension
at each step, and an array written into at each step.

Run: python examples/binomial_tree.py
"""

import math

import numpy as np

from ast_ad import differentiate


def american_put(S, K, r, sigma, T, steps=51):
    dt = T / steps
    u = math.exp(sigma * math.sqrt(dt))
    d = 1.0 / u
    p = (math.exp(r * dt) - d) / (u - d)
    disc = math.exp(-r * dt)

    def payoff(spot):
        return max(K - spot, 0.0)

    values = [payoff(S * u ** j * d ** (steps - j)) for j in range(steps + 1)]
    lowest = np.zeros(steps)  # the option's value at the lowest node of each step
    for step in range(steps - 1, -1, -1):
        values = [max(disc * (p * values[j + 1] + (1.0 - p) * values[j]),
                      payoff(S * u ** j * d ** (step - j)))
                  for j in range(step + 1)]
        lowest[step] = values[0]
    return lowest[0]


def main():
    S, K, r, sigma, T = 100.0, 105.0, 0.05, 0.2, 1.0  # no node of the tree at the strike
    price = american_put(S, K, r, sigma, T)
    delta, vega = differentiate(american_put, wrt=(0, 3))(S, K, r, sigma, T)
    print(f"price {price:.4f}  delta {delta:.4f}  vega {vega:.4f}")
    step = 1e-5
    by_differences = [
        (american_put(S + step, K, r, sigma, T) - american_put(S - step, K, r, sigma, T))
        / (2 * step),
        (american_put(S, K, r, sigma + step, T) - american_put(S, K, r, sigma - step, T))
        / (2 * step)]
    agree = all(abs(a - b) < 1e-6 * max(1.0, abs(b))
                for a, b in zip((delta, vega), by_differences))
    print(f"delta and vega match finite differences: {agree}")


if __name__ == "__main__":
    main()
