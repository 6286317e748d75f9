"""Small functions over the supported Python, with points to check them at.

Convention: `a`, `b`, `c` are floats (differentiated), `n` and `k` are ints, `xs` is a
tuple of floats that is only read. Each entry of CORPUS is `(function, args)`.
"""

import math

from tests.helpers_module import make_scaled, shifted_square

XS = (0.5, -1.25, 2.0, 0.75)
YS = (1.5, 0.25, -0.5, 1.0, 9.0)

# ---------------------------------------------------------------- branches


def if_else(a, b):
    if a > b:
        y = a * b
    else:
        y = a + b
    return y * a


def if_without_else(a, b):
    y = a
    if b > 0:
        y = y * b
    return y * y


def elif_chain(a, b):
    if a < -1.0:
        y = -a
    elif a < 1.0:
        y = a * a * b
    elif a < 2.0:
        y = math.sin(a) + b
    else:
        y = math.log(a)
    return y


def nested_if(a, b):
    if a > 0:
        if b > 0:
            y = a * b
        else:
            y = a - b
    else:
        y = math.exp(a)
    return y + a


def early_return(a, b):
    if a > 1.0:
        return a * b
    y = math.cos(a)
    return y * b


def early_return_nested(a, b):
    if a > 0:
        if b > 0:
            return a * b * b
        y = a + b
    else:
        y = a * a
    return y * 3.0


def conditional_expression(a, b):
    y = a * a if a > b else b * b
    return y + a * b


def boolean_condition(a, b):
    if a > 0 and b > 0:
        y = a * b
    elif a > 0 or b > 0:
        y = a + b
    else:
        y = -a * b
    return y


def not_condition(a, b):
    if not a > b:
        return math.sin(a) * b
    return math.cos(b) * a


def branch_on_computed(a, b):
    t = a * a - b
    if t > 0.5:
        y = math.sqrt(t)
    else:
        y = t * t
    return y


def same_value_both_branches(a, b):
    y = a * 2.0
    if b > 0:
        z = y * b
    else:
        z = y
    return z + y


def branch_assigns_parameter(a, b):
    if b > 0:
        a = a * a
    return a * b


def abs_by_branch(a, b):
    y = a * b
    if y < 0:
        y = -y
    return y + a


def piecewise_max(a, b):
    return max(a, b) * min(a * 2.0, b) + abs(a - b)


def conditional_chain(a, b):
    return (a if a > 0 else -a) * (b if b > a else a)


def branch_int_flag(a, b, k):
    if k == 1:
        y = a * b
    else:
        y = a / b
    return y


def branch_string_flag(a, b, mode):
    if mode == "product":
        return a * b
    return a + b


# ---------------------------------------------------------------- for loops


def logistic_map(a, n):
    for i in range(n):
        a = 4.0 * a * (1.0 - a)
    return a


def power_loop(a, n):
    y = 1.0
    for i in range(n):
        y = y * a
    return y


def sum_loop(a, b, n):
    s = 0.0
    for i in range(n):
        s += math.sin(a * i) * math.cos(b + i)
    return s


def range_start_stop_step(a, n):
    s = 0.0
    for i in range(2, n, 3):
        s = s + a ** i
    return s


def range_backwards(a, n):
    y = a
    for i in range(n, 0, -1):
        y = y * 0.5 + math.sin(y) / i
    return y


def loop_over_tuple(a, b):
    s = 0.0
    for x in XS:
        s = s + x * a * a + b * x
    return s


def loop_two_carried(a, b, n):
    for i in range(n):
        a, b = b, a * 0.5 + b * 0.25
    return a * b


def fibonacci_like(a, b, n):
    for i in range(n):
        a, b = b, a + b
    return b


def nested_loops(a, n):
    s = 0.0
    for i in range(n):
        t = a
        for j in range(i):
            t = t * 0.9 + math.tanh(t)
        s = s + t
    return s


def loop_with_branch(a, n):
    for i in range(n):
        if a > 0.5:
            a = a * 0.7
        else:
            a = a * 1.4 + 0.1
    return a


def loop_branch_on_index(a, b, n):
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            s = s + a * i
        else:
            s = s - b * a
    return s


def loop_data_dependent_bound(a, n):
    y = a
    for i in range(int(n * 1.5)):
        y = math.sin(y) + a
    return y


def loop_uses_outer_value(a, b, n):
    y = 0.0
    for i in range(n):
        y = y * b + a
    return y


def loop_local_temporary(a, n):
    y = a
    for i in range(n):
        t = y * y
        y = t * 0.5 + y * 0.25
    return y


def loop_over_parameter_tuple(a, b, xs):
    s = a
    for x in xs:
        s = s * b + x
    return s


def loop_carried_augmented(a, b, n):
    s = a
    for i in range(n):
        s *= 1.1
        s += b
        s -= a * 0.1
        s /= 1.05
    return s


def loop_zero_trips(a, n):
    y = a * a
    for i in range(n):
        y = y * 3.0
    return y


def polynomial_horner(a, n):
    y = 0.0
    for i in range(n):
        y = y * a + (i + 1)
    return y


def loop_then_branch(a, b, n):
    for i in range(n):
        a = a * b
    if a > 1.0:
        return math.log(a)
    return a


def newton_sqrt(a, n):
    y = a
    for i in range(n):
        y = 0.5 * (y + a / y)
    return y


def loop_with_break(a, n):
    y = a
    for i in range(n):
        y = y * 1.5 + math.sin(y)
        if y > 3.0:
            break
        y = y + 0.1
    return y * a


def loop_with_continue(a, b, n):
    s = 0.0
    for i in range(n):
        if i % 3 == 1:
            continue
        s = s + math.cos(a * i) * b
    return s


def loop_over_sequence_with_break(a, b):
    s = a
    for x in XS:
        if x > 1.5:
            break
        s = s * b + x
    return s


def return_from_loop(a, n):
    y = a
    for i in range(n):
        y = y * 1.3 + 0.1
        if y > 2.0:
            return y * a
    return y - a


def return_from_nested_loops(a, b):
    s = a
    for i in range(4):
        for j in range(3):
            s = s * b + 0.1
            if s > 3.0:
                return s * s
        s = s - 0.05
    return s


def return_from_while(a):
    k = 0
    while k < 10:
        a = a * 1.5
        if a > 4.0:
            return a * k
        k += 1
    return a


# ---------------------------------------------------------------- while loops


def while_doubling(a):
    y = a
    while y < 10.0:
        y = y * 2.0
    return y


def while_counter(a, n):
    k = 0
    y = a
    while k < n:
        y = math.sin(y) + y
        k += 1
    return y


def while_two_conditions(a, b):
    k = 0
    while a < 5.0 and k < 50:
        a = a * 1.3 + b
        k = k + 1
    return a


def while_with_branch(a):
    y = a
    while y < 20.0:
        if y < 5.0:
            y = y * 2.0
        else:
            y = y + 3.0
    return y * a


def while_nested_in_for(a, n):
    s = 0.0
    for i in range(n):
        t = a
        while t < 4.0:
            t = t * 1.7
        s = s + t
    return s


def for_nested_in_while(a):
    k = 0
    y = a
    while k < 3:
        for i in range(2):
            y = y * 0.9 + 0.1 * math.cos(y)
        k += 1
    return y


def while_with_break_and_continue(a):
    y = a
    k = 0
    while k < 20:
        k += 1
        if k % 2 == 0:
            continue
        y = y * 1.2 + 0.05
        if y > 2.0:
            break
    return y * y


def while_decreasing(a, b):
    y = a
    while y > 0.1:
        y = y * b
    return y


# ---------------------------------------------------------------- straight-line and names


def reassign_many(a, b):
    y = a
    y = y * b
    y = y + a
    y = math.exp(y * 0.1)
    return y


def tuple_swap(a, b):
    a, b = b, a
    return a * a * b


def tuple_rotate(a, b, c):
    a, b, c = b, c, a * b
    return a * b + c


def unused_argument(a, b, c):
    return a * b


def constant_output(a, b):
    y = a * 0.0  # noqa: F841 - a value nothing reads
    return b * 0.0 + 2.0


def module_constant(a, b):
    return math.pi * a + math.e * b


def integer_arithmetic_flows(a, n):
    m = n * 2 + 1
    q = m // 2
    return a * m + q


def comparisons_flow(a, b):
    big = a > b
    return a * big + b * (not big)


def deep_expression(a, b, c):
    return math.atan2(a * b, c) + math.hypot(a, c) * math.log1p(b * b) - math.expm1(-c)


def keyword_only(a, *, b=2.0):
    return a ** b


def defaults(a, b=3.0, c=0.5):
    return a * b + math.sqrt(c + a * a)


# ---------------------------------------------------------------- numerics


def softplus_branch(a, b):
    z = a * b
    if z > 20.0:
        return z
    return math.log1p(math.exp(z))


def sigmoid_stable(a, b):
    z = a - b
    if z >= 0:
        e = math.exp(-z)
        return 1.0 / (1.0 + e)
    e = math.exp(z)
    return e / (1.0 + e)


def clip(a, b):
    y = a * b
    if y > 1.0:
        y = 1.0
    elif y < -1.0:
        y = -1.0
    return y + a


def huber(a, b):
    r = a - b
    if abs(r) <= 1.0:
        return 0.5 * r * r
    return abs(r) - 0.5


def euler_ode(a, b, n):
    y = a
    h = 0.1
    for i in range(n):
        y = y + h * (-b * y + math.sin(i * h))
    return y


def bisection_free_sqrt(a, n):
    lo = 0.0
    hi = a + 1.0
    for i in range(n):
        mid = 0.5 * (lo + hi)
        if mid * mid > a:
            hi = mid
        else:
            lo = mid
    return lo * a


def running_max(a, b, n):
    m = a
    for i in range(n):
        v = math.sin(a * i + b)
        m = max(m, v)
    return m


def series_exp(a, n):
    term = 1.0
    s = 1.0
    for i in range(1, n):
        term = term * a / i
        s = s + term
    return s


def gradient_descent_steps(a, b, n):
    w = a
    for i in range(n):
        g = 2.0 * (w - b)
        w = w - 0.1 * g
    return w * w


def logistic_regression_loss(a, b):
    loss = 0.0
    for x in XS:
        z = a * x + b
        p = 1.0 / (1.0 + math.exp(-z))
        if x > 0:
            loss = loss - math.log(p)
        else:
            loss = loss - math.log(1.0 - p)
    return loss


# ---------------------------------------------------------------- sequences of constants


def enumerate_weights(a, b):
    s = 0.0
    for i, x in enumerate(XS):
        s = s + x * math.sin(a * i + b)
    return s


def zip_pairs(a, b):
    s = 0.0
    for x, y in zip(XS, YS):
        s = s + (a * x - y) ** 2 + b * x * y
    return s


def index_into_tuple(a, b):
    s = a
    for i in range(len(XS)):
        s = s * b + XS[i] * XS[len(XS) - 1 - i]
    return s + sum(XS) * a


# ---------------------------------------------------------------- lists of differentiated values


def list_build_and_read(a, n):
    ys = []
    for i in range(n):
        ys.append(a * i + math.sin(a))
    return ys[n - 1] * ys[1]


def list_last_element(a, b, n):
    ys = []
    ys.append(a)
    for i in range(n):
        ys.append(math.sin(ys[-1]) * b + a)
    return sum(ys)


def list_iterate_built(a, n):
    ys = []
    for i in range(n):
        ys.append(a ** i)
    s = 0.0
    for y in ys:
        s = s + y * y
    return s + len(ys)


def list_iterate_slice(a, n):
    ys = []
    for i in range(n):
        ys.append(a * (i + 1.0))
    s = 0.0
    for y in ys[1:]:  # a list computed here, not a name of the function's
        s = s + y * y * a
    return s


def list_slice_read(a, b):
    zs = []
    zs.append(a)
    zs.append(a * b)
    zs.append(b)
    ws = zs[::2]  # a slice's adjoint adds item by item into the list's
    return sum(ws) * zs[1] + ws[0] + sum(zs[1:]) * a


def list_of_indices_made_in_loop(a, n):
    s = 0.0
    for i in range(n):
        ks = []  # made again by each iteration: nothing to cut back
        ks.append(i)
        ks.append(i + 1)
        s = s + a * len(ks) * ks[1] + s * a
    return s


def value_kept_from_an_earlier_iteration(a, n):
    t = 0.0  # carried: later iterations read the value the first gave it
    s = 0.0
    for i in range(n):
        if i == 0:
            t = a * 2.0
        s = s + math.sin(t * a)
    return s


def list_sum_in_loop(a, n):
    total = 0.0
    ys = []
    for i in range(n):
        ys.append(math.cos(a * i))
        total = total + sum(ys)
    return total


def list_appended_in_branch(a, b, n):
    ys = []
    for i in range(n):
        if i % 2 == 0:
            ys.append(a * i)
        else:
            ys.append(b / (i + 1.0))
    return ys[0] + ys[-1] * ys[1] + sum(ys)


def list_parameter(xs, b):
    s = 0.0
    for x in xs:
        s = s + x * x * b
    return s * xs[0] + sum(xs)


# ---------------------------------------------------------------- calls (inlined)

SCALED = make_scaled(1.5)


def _cubic_or_line(x, k=2.0):
    if x > 0.0:
        return x * x * x * k
    return x * k


def calls_helper(a, b):
    return _cubic_or_line(a) * _cubic_or_line(b, k=3.0)


def calls_helper_in_loop(a, n):
    for i in range(n):
        a = _cubic_or_line(a, 0.9) + 0.1
    return a


def calls_other_module(a, b):
    return shifted_square(a) + shifted_square(b, shift=-1.0) * a


def calls_closure(a, b):
    return SCALED(a) * b


def calls_nested_helpers(a, b):
    return calls_helper(a * b, b) + calls_closure(b, a)


CORPUS = [
    (if_else, (1.3, 0.4)), (if_else, (0.2, 0.9)), (if_without_else, (0.7, 1.5)),
    (if_without_else, (0.7, -1.5)), (elif_chain, (-1.5, 0.3)), (elif_chain, (0.5, 0.3)),
    (elif_chain, (1.5, 0.3)), (elif_chain, (2.5, 0.3)), (nested_if, (0.5, 0.5)),
    (nested_if, (0.5, -0.5)), (nested_if, (-0.5, 0.5)), (early_return, (1.5, 0.7)),
    (early_return, (0.5, 0.7)), (early_return_nested, (0.5, 0.5)),
    (early_return_nested, (0.5, -0.5)), (early_return_nested, (-0.5, 0.5)),
    (conditional_expression, (0.8, 0.3)), (conditional_expression, (0.1, 0.3)),
    (boolean_condition, (0.5, 0.6)), (boolean_condition, (0.5, -0.6)),
    (boolean_condition, (-0.5, -0.6)), (not_condition, (0.2, 0.9)), (not_condition, (0.9, 0.2)),
    (branch_on_computed, (1.2, 0.3)), (branch_on_computed, (0.5, 0.3)),
    (same_value_both_branches, (0.7, 0.3)), (same_value_both_branches, (0.7, -0.3)),
    (branch_assigns_parameter, (0.6, 0.8)), (abs_by_branch, (0.6, -0.8)),
    (piecewise_max, (0.6, 0.8)), (conditional_chain, (-0.6, 0.8)),
    (branch_int_flag, (0.6, 0.8, 1)), (branch_int_flag, (0.6, 0.8, 2)),
    (branch_string_flag, (0.6, 0.8, "product")), (branch_string_flag, (0.6, 0.8, "sum")),
    (logistic_map, (0.3, 6)), (power_loop, (1.1, 5)), (sum_loop, (0.3, 0.7, 6)),
    (range_start_stop_step, (1.1, 9)), (range_backwards, (0.4, 5)), (loop_over_tuple, (0.7, 0.2)),
    (loop_two_carried, (0.4, 0.9, 5)), (fibonacci_like, (0.3, 0.5, 6)), (nested_loops, (0.3, 4)),
    (loop_with_branch, (0.9, 6)), (loop_branch_on_index, (0.7, 0.4, 5)),
    (loop_data_dependent_bound, (0.3, 3)), (loop_uses_outer_value, (0.6, 0.8, 5)),
    (loop_local_temporary, (0.5, 4)), (loop_over_parameter_tuple, (0.5, 0.8, XS)),
    (loop_carried_augmented, (0.5, 0.3, 4)), (loop_zero_trips, (0.7, 0)),
    (polynomial_horner, (0.7, 5)), (loop_then_branch, (1.2, 1.1, 3)),
    (loop_then_branch, (0.5, 0.9, 3)), (newton_sqrt, (2.0, 5)), (while_doubling, (0.7,)),
    (while_counter, (0.4, 4)), (while_two_conditions, (0.5, 0.2)), (while_with_branch, (0.9,)),
    (while_nested_in_for, (0.6, 3)), (for_nested_in_while, (0.8,)), (while_decreasing, (3.0, 0.6)),
    (reassign_many, (0.6, 0.9)), (tuple_swap, (0.6, 0.9)), (tuple_rotate, (0.6, 0.9, 0.3)),
    (unused_argument, (0.6, 0.9, 0.3)), (constant_output, (0.6, 0.9)),
    (module_constant, (0.6, 0.9)), (integer_arithmetic_flows, (0.6, 4)),
    (comparisons_flow, (0.6, 0.9)), (deep_expression, (0.6, 0.9, 0.4)),
    (keyword_only, (1.3,)), (defaults, (0.6,)), (softplus_branch, (0.6, 0.9)),
    (softplus_branch, (6.0, 5.0)), (sigmoid_stable, (0.6, 0.9)), (sigmoid_stable, (0.9, 0.2)),
    (clip, (0.6, 0.9)), (clip, (2.0, 0.9)), (clip, (-2.0, 0.9)), (huber, (0.6, 0.9)),
    (huber, (2.6, 0.1)), (euler_ode, (0.6, 0.9, 8)), (bisection_free_sqrt, (2.0, 6)),
    (running_max, (0.6, 0.9, 6)), (series_exp, (0.6, 8)), (gradient_descent_steps, (0.6, 0.2, 5)),
    (logistic_regression_loss, (0.6, 0.2)), (calls_helper, (0.6, -0.2)),
    (calls_helper, (0.6, 0.2)), (calls_helper_in_loop, (0.6, 4)), (calls_other_module, (0.6, 0.2)),
    (calls_closure, (0.6, 0.2)), (calls_nested_helpers, (0.6, 0.7)),
    (enumerate_weights, (0.6, 0.7)), (zip_pairs, (0.6, 0.7)), (index_into_tuple, (0.6, 0.7)),
    (list_build_and_read, (0.6, 5)), (list_last_element, (0.6, 0.8, 5)),
    (list_iterate_built, (0.6, 5)), (list_iterate_slice, (0.6, 5)),
    (list_slice_read, (0.6, 0.8)), (list_of_indices_made_in_loop, (0.6, 4)),
    (value_kept_from_an_earlier_iteration, (0.6, 3)),
    (list_sum_in_loop, (0.6, 5)),
    (list_appended_in_branch, (0.6, 0.8, 5)), (loop_with_break, (0.6, 8)),
    (loop_with_break, (0.1, 2)), (loop_with_continue, (0.6, 0.8, 7)),
    (loop_over_sequence_with_break, (0.6, 0.8)), (while_with_break_and_continue, (0.3,)),
    (return_from_loop, (0.6, 8)), (return_from_loop, (0.1, 2)),
    (return_from_nested_loops, (0.6, 1.5)), (return_from_nested_loops, (0.2, 0.9)),
    (return_from_while, (0.3,)), (return_from_while, (0.001,)),
]

# A dozen whose second derivatives are checked (smooth around their points).
SECOND_ORDER = [logistic_map, power_loop, sum_loop, loop_two_carried, nested_loops,
                loop_with_branch, while_counter, elif_chain, early_return, sigmoid_stable,
                euler_ode, series_exp, newton_sqrt, logistic_regression_loss,
                calls_helper_in_loop]
