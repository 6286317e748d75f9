"""Helpers in another module, called by corpus functions (ast_ad inlines them)."""

OFFSET = 0.25


def shifted_square(x, shift=OFFSET):
    y = x + shift
    return y * y


def make_scaled(k):
    def scaled(x):
        return k * x * x

    return scaled
