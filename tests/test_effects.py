"""Calls with effects run as often as in the function, and their values are never drawn again."""

import functools
import math
import random

import numpy as np
import pytest

from ast_ad import DifferentiationError, UnsupportedSyntaxError, differentiate, source
from ast_ad.testing import central_difference
from tests.conftest import make_function

MODES = ("reverse", "forward")


def _fresh(make_args):
    """The same arguments, and the same random state, for each call."""
    def call(function, x):
        random.seed(7)
        return function(x, *make_args())
    return call


def _assert_gradient(f, make_args, x=1.3, mode="reverse"):
    call = _fresh(make_args)
    expected = central_difference(lambda v: call(f, v), [x], [1.0])
    got = call(differentiate(f, mode=mode), x)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-9)


DRAWS_IN_LOOPS = {
    "the random module": ("""
        def f(x):
            s = x
            for i in range(3):
                s = s * random.gauss(0.0, 1.0) + x
            return s
        """, lambda: ()),
    "a random.Random argument": ("""
        def f(x, rng):
            s = x
            for i in range(3):
                s = s * rng.gauss(0.0, 1.0) + x
            return s
        """, lambda: (random.Random(4),)),
    "a NumPy Generator argument": ("""
        def f(x, rng):
            s = x
            k = 0
            while k < 3:
                s = s * rng.normal() + x * s
                k = k + 1
            return s
        """, lambda: (np.random.default_rng(4),)),
    "a draw in a branch": ("""
        def f(x, rng):
            s = x
            for i in range(4):
                if i % 2 == 0:
                    s = s * rng.uniform(0.5, 1.5)
                s = s * x
            return s
        """, lambda: (random.Random(2),)),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(DRAWS_IN_LOOPS))
def test_values_drawn_in_a_loop_are_stored_not_drawn_again(case, mode):
    text, make_args = DRAWS_IN_LOOPS[case]
    f = make_function(text, namespace={"random": random})
    _assert_gradient(f, make_args, mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_the_adjoint_leaves_the_random_state_as_the_function_does(mode):
    f = make_function("""
        def f(x):
            s = x
            for i in range(3):
                s = s * random.random()
            unused = random.random()
            return s
        """, namespace={"random": random})
    random.seed(3)
    f(1.0)
    after_function = random.random()
    random.seed(3)
    differentiate(f, mode=mode)(1.0)
    assert random.random() == after_function


@pytest.mark.parametrize("mode", MODES)
def test_a_print_and_a_log_run_once_per_iteration(mode, capsys):
    log = []
    f = make_function("""
        def record(value):
            log.append(value)

        def f(x):
            s = x
            for i in range(3):
                print("step", i)
                record(s)
                s = s * x
            return s
        """, name="f", namespace={"log": log})
    assert differentiate(f, mode=mode)(1.5) == pytest.approx(4 * 1.5 ** 3)
    assert capsys.readouterr().out == "step 0\nstep 1\nstep 2\n"
    assert log == [1.5, 1.5 ** 2, 1.5 ** 3]


def test_a_stored_draw_reads_back_in_the_generated_code():
    f = make_function("""
        def f(x, rng):
            s = x
            for i in range(3):
                s = s * rng.gauss(0.0, 1.0) + x
            return s
        """)
    text = source(differentiate(f))
    assert text.count("rng.gauss") == 1
    assert "v2_stack.append(v2)" in text


def test_a_draw_in_a_nested_loop_is_refused_in_reverse_mode():
    f = make_function("""
        def f(x, rng):
            s = x
            for i in range(2):
                for j in range(2):
                    s = s * rng.random() + x
            return s
        """)
    with pytest.raises(UnsupportedSyntaxError, match="nested in another"):
        differentiate(f)
    _assert_gradient(f, lambda: (random.Random(1),), mode="forward")


def test_a_method_of_a_differentiated_value_without_a_rule_is_refused():
    from ast_ad import NonDifferentiableError

    f = make_function("""
        def f(x):
            return x.conjugate() * 2.0
        """)
    with pytest.raises(NonDifferentiableError, match="x.conjugate"):
        differentiate(f)


def test_forward_modes_whole_gradient_is_refused_where_sweeps_would_repeat_effects():
    f = make_function("""
        def f(w, rng):
            noise = rng.normal()
            return np.sum(np.sin(w)) * noise
        """, namespace={"np": np})
    tangent = differentiate(f, mode="forward")
    w = np.array([0.1, 0.2, 0.3])
    with pytest.raises(DifferentiationError, match=r":3: jvp_f needs a direction \(w_dot\)"):
        tangent(w, np.random.default_rng(0))
    noise = np.random.default_rng(0).normal()
    along = tangent(w, np.random.default_rng(0), w_dot=np.array([1.0, 0.0, 0.0]))
    assert along == pytest.approx(np.cos(0.1) * noise)


CONFIGURED = """
    def f(params, x, config):
        loss = 0.0
        for name, p in params.items():
            if name.startswith("w") and config.get("reg", 0.0) > 0:
                loss = loss + config["reg"] * np.sum(p ** 2)
        return loss + np.sum(np.tanh(params["w"] * x + params["b"]))
    """


def test_a_strings_methods_and_a_lookup_by_a_string_key_are_pure():
    """`name.startswith("w")` and `config.get("reg", 0.0)` compute a value and change
    nothing: forward mode's whole gradient, one sweep per element, may run them again (it
    was refused, as for any method of an object); `source.get()`, a method of an object
    that may draw, still has effects."""
    import autograd
    from autograd import numpy as anp

    params = {"w": np.array([0.3, -0.5]), "b": np.array([0.1, 0.2])}
    x, config = np.array([1.0, 2.0]), {"reg": 0.1}
    expected = autograd.grad(make_function(CONFIGURED, namespace={"np": anp}))(
        params, x, config)
    f = make_function(CONFIGURED, namespace={"np": np})
    for mode in MODES:
        gradient = differentiate(f, mode=mode)(params, x, config)
        for key in params:
            np.testing.assert_allclose(gradient[key], expected[key], rtol=1e-12)
    drawing = make_function("""
        def g(w, source):
            return np.sum(np.sin(w)) * source.get()
        """, namespace={"np": np})
    with pytest.raises(DifferentiationError, match=r":3: jvp_g needs a direction"):
        differentiate(drawing, mode="forward")(np.ones(2), {"a": 1.0})


@pytest.mark.parametrize("mode", MODES)
def test_a_display_handed_to_an_effect_is_the_value_python_makes(mode):
    """`log.append((x, y))` keeps a tuple of the values, which no sweep changes after."""
    f = make_function("""
        def f(x, log):
            y = x * x
            log.append((x, y))
            log.append([y, 2.0])
            return y * 3.0
        """)
    log = []
    assert differentiate(f, mode=mode)(1.5, log) == pytest.approx(9.0)
    assert log == [(1.5, 2.25), [2.25, 2.0]] and type(log[0]) is tuple


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_cached_helper_with_an_effect_is_refused_and_a_pure_one_is_seen_through(mode):
    f = make_function("""
        @functools.cache
        def noisy(a):
            print("computing")
            return a * a

        @functools.lru_cache(maxsize=None)
        def quiet(a):
            return math.sin(a) * a

        def f(x):
            return noisy(x) + quiet(x)
    """, "f", {"functools": functools, "math": math})
    with pytest.raises(UnsupportedSyntaxError, match=r":4: `noisy` is cached .* has effects"):
        differentiate(f, mode=mode)
    g = make_function("""
        @functools.lru_cache(maxsize=None)
        def quiet(a):
            return math.sin(a) * a

        def g(x):
            return quiet(x) * x
    """, "g", {"functools": functools, "math": math})
    x = 0.7
    expected = 2 * x * math.sin(x) + x * x * math.cos(x)
    assert math.isclose(differentiate(g, mode=mode)(x), expected, rel_tol=1e-12)


def test_an_exception_made_for_a_raise_is_no_effect():
    """`raise ValueError(f"...")` in a branch not taken, and an `assert`: forward mode's
    whole gradient, a sweep an element, runs them again, as harmless as the function's
    own run (the exception's constructor was taken for a call with effects, refused)."""
    f = make_function("""
        def f(x, kind="tanh"):
            if kind == "tanh":
                y = np.tanh(x)
            else:
                raise ValueError(f"unknown activation {kind!r}")
            assert np.all(np.isfinite(y)), "not finite"
            return np.sum(y ** 2)
        """, namespace={"np": np})
    x = np.array([0.1, -0.7])
    expected = 2.0 * np.tanh(x) * (1.0 - np.tanh(x) ** 2)
    for mode in MODES:
        np.testing.assert_allclose(differentiate(f, mode=mode)(x), expected, rtol=1e-12)
        with pytest.raises(ValueError, match="unknown activation 'sin'"):
            differentiate(f, mode=mode)(x, "sin")
