"""A corpus of user-style programs for srcgrad, written the way people write NumPy code.

tests/test_corpus.py differentiates each of them (its table CASES says with respect to what, and
at which inputs), and checks that the ones at the end, which srcgrad refuses, get a precise error.
"""

import numpy as np

import programs as other_module

# ---------------------------------------------------------------------------------------------
# Module-level constants, read by the programs below.

DT = 0.005
GRAVITY = 9.81
EPS = 1e-5
L2 = 0.01
DECAY = 0.9
TOLERANCE = 1e-13

# ---------------------------------------------------------------------------------------------
# Helpers, inlined into the programs that call them.


def dense(x, W, b):
    return x @ W + b


def relu(z):
    return np.maximum(z, 0.0)


def leaky(z, slope=0.1):
    return np.maximum(z, slope * z)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def log_softmax(logits):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def softmax_cross_entropy(logits, labels):
    logp = log_softmax(logits)
    return -np.mean(np.sum(labels * logp, axis=1))


def gate_and_candidate(x, h, Wg, Wc):
    xh = np.concatenate([x, h], axis=1)
    return sigmoid(xh @ Wg), np.tanh(xh @ Wc)


def normalize(x, axis=-1, eps=1e-5):
    mu = np.mean(x, axis=axis, keepdims=True)
    var = np.var(x, axis=axis, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


def clip_by_norm(z, limit=1.0):
    norm = np.sqrt(np.sum(z**2))
    if norm > limit:
        z = z * (limit / norm)
    return z


def mse(pred, target):
    return np.mean((pred - target) ** 2)


# ---------------------------------------------------------------------------------------------
# Sequence models.


def rnn_loss(Wx, Wh, b, xs, ys):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        loss += np.sum((h - ys[t]) ** 2)
    return loss / xs.shape[0]


def gru_like(Wg, Wc, h0, xs):
    h = h0
    for x in xs:
        gate, cand = gate_and_candidate(x, h, Wg, Wc)
        h = gate * h + (1.0 - gate) * cand
    return np.sum(h**2)


def ema_tracking(beta, xs, target):
    ema = xs[0]
    err = 0.0
    for t in range(1, len(xs)):
        ema = beta * ema + (1.0 - beta) * xs[t]
        err = err + (ema - target[t]) ** 2
    return np.sum(err)


def decayed_rewards(w, feats):
    total = 0.0
    for i, f in enumerate(feats):
        total += DECAY**i * np.tanh(np.sum(f * w))
    return total


def paired_regression(w, xs, ys):
    loss = 0.0
    for x, y in zip(xs, ys):
        loss = loss + (np.dot(x, w) - y) ** 2
    return loss / len(xs)


def ar2_filter(a1, a2, xs):
    y1 = 0.0
    y2 = 0.0
    total = 0.0
    for x in xs:
        y = x + a1 * y1 + a2 * y2
        y2 = y1
        y1 = y
        total = total + y * y
    return total


def last_hidden_state(W, xs):
    for x in xs:
        h = np.tanh(x @ W)
    return np.sum(h**2)


def smoothness_penalty(w, xs):
    prev = xs[0]
    total = 0.0
    for x in xs:
        total = total + np.sum((x - prev) * w) ** 2
        prev = x
    return total


def weighted_pairs(w, xs, ys):
    loss = 0.0
    for i, (x, y) in enumerate(zip(xs, ys)):
        loss = loss + (i + 1) * np.sum((x * w - y) ** 2)
    return loss


# ---------------------------------------------------------------------------------------------
# Physics, stepped 200 times.


def spring_mass(x0, v0, k, damping):
    x, v = x0, v0
    for _ in range(200):
        a = -k * x - damping * v
        v = v + DT * a
        x = x + DT * v
    return np.sum(x**2) + np.sum(v**2)


def pendulum(theta0, omega0, length):
    theta = theta0
    omega = omega0
    for step in range(200):
        omega = omega - DT * GRAVITY / length * np.sin(theta)
        theta = theta + DT * omega
    return np.cos(theta) * length + 0.1 * omega**2


def projectile_range(speed, angle, drag):
    vx = speed * np.cos(angle)
    vy = speed * np.sin(angle)
    x = 0.0
    y = 0.0
    for _ in range(200):
        vx = vx - DT * drag * vx
        vy = vy - DT * (GRAVITY + drag * vy)
        x = x + DT * vx
        y = y + DT * vy
    return x + 0.5 * y


def predator_prey(alpha, beta, prey0, pred0):
    prey, pred = prey0, pred0
    for _ in range(200):
        dprey = alpha * prey - beta * prey * pred
        dpred = 0.5 * beta * prey * pred - 0.4 * pred
        prey, pred = prey + DT * dprey, pred + DT * dpred
    return np.sum(prey) + np.sum(pred)


def verlet_oscillator(x0, v0, k):
    x_prev = x0 - DT * v0
    x = x0
    for _ in range(200):
        x_prev, x = x, 2.0 * x - x_prev - DT**2 * k * x
    return np.sum(x**2)


def heat_rod(u0, kappa):
    u = u0
    for _ in range(20):
        lap = u[:-2] - 2.0 * u[1:-1] + u[2:]
        inner = u[1:-1] + kappa * lap
        u = np.concatenate([u[:1], inner, u[-1:]])
    return np.sum(u**2)


# ---------------------------------------------------------------------------------------------
# Iterations with data-dependent trip counts.


def newton_cube_root(a):
    x = 1.0
    while abs(x**3 - a) > 1e-12:
        x = x - (x**3 - a) / (3.0 * x**2)
    return x


def newton_sqrt_array(a):
    x = np.ones_like(a)
    while np.max(np.abs(x * x - a)) > 1e-12:
        x = 0.5 * (x + a / x)
    return np.sum(x)


def fixed_point(b, c):
    x = np.zeros_like(b)
    for _ in range(60):
        x = 0.5 * np.cos(x * c) + b
    return np.sum(x**2)


def converge_to_equilibrium(b, c):
    x = np.zeros_like(b)
    delta = 1.0
    while delta > TOLERANCE:
        x_new = 0.5 * np.tanh(x) * c + b
        delta = np.max(np.abs(x_new - x))
        x = x_new
    return np.sum(x * b)


def inner_gradient_descent(w0, target, lr):
    w = w0
    g = w - target
    while np.sum(g**2) > 1e-4:
        w = w - lr * g
        g = w - target
    return np.sum(w**3)


def momentum_descent(w0, target, lr):
    w = w0
    v = np.zeros_like(w0)
    for _ in range(25):
        g = 2.0 * (w - target)
        v = 0.9 * v - lr * g
        w = w + v
    return np.sum((w - target) ** 2) + np.sum(v**2)


def grow_until(x, w):
    steps = 0
    while steps < 10:
        x = np.tanh(x * w) + 0.1
        steps += 1
        if np.sum(x) > 2.5:
            break
    return np.sum(x)


def power_iteration(A, v):
    for _ in range(6):
        v = A @ v
        v = v / np.sqrt(np.sum(v**2))
    return v @ A @ v


# ---------------------------------------------------------------------------------------------
# Networks.


def layers_in_a_tuple(W1, b1, W2, b2, W3, b3, x, y):
    h = x
    for W, b in ((W1, b1), (W2, b2)):
        h = np.tanh(dense(h, W, b))
    out = dense(h, W3, b3)
    return mse(out, y)


def two_layer_classifier(W1, b1, W2, b2, x, labels):
    h = relu(dense(x, W1, b1))
    logits = dense(h, W2, b2)
    return softmax_cross_entropy(logits, labels)


def shared_encoder(W, b, left, right):
    a = np.tanh(dense(left, W, b))
    c = np.tanh(dense(right, W, b))
    return np.sum((a - c) ** 2)


def leaky_net(W1, W2, x):
    h = leaky(x @ W1)
    h2 = leaky(h @ W2, slope=0.3)
    return np.sum(h2)


def logistic_regression(w, b, X, y):
    p = sigmoid(X @ w + b)
    nll = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return nll + L2 * np.sum(w**2)


def layer_norm_loss(gain, bias, x, y):
    h = normalize(x) * gain + bias
    return np.mean((h - y) ** 2) + np.var(h)


def stats_loss(x):
    return np.var(x) + np.mean(x) ** 2 + 0.1 * np.std(x, axis=0).sum()


def attention(Wq, Wk, x):
    q = x @ Wq
    k = x @ Wk
    scores = q @ k.T / np.sqrt(q.shape[1])
    weights = np.exp(log_softmax(scores))
    return np.sum((weights @ x) ** 2)


def bag_of_words(E, w, tokens, label):
    vecs = E[tokens]
    doc = np.mean(vecs, axis=0)
    return (np.tanh(doc @ w) - label) ** 2


def rbf_kernel_sum(X, gamma):
    diff = X[:, None, :] - X[None, :, :]
    sq = np.sum(diff**2, axis=2)
    return np.sum(np.exp(-gamma * sq))


def horner(c0, c1, c2, c3, x):
    y = np.zeros_like(x)
    for c in (c3, c2, c1, c0):
        y = y * x + c
    return np.sum(y**2)


def gaussian_nll(mu, log_sigma, data):
    z = (data - mu) / np.exp(log_sigma)
    return np.sum(0.5 * z**2 + log_sigma)


def huber(pred, target):
    r = pred - target
    small = np.abs(r) < 1.0
    return np.sum(np.where(small, 0.5 * r**2, np.abs(r) - 0.5))


def softplus_margin(w, X, y):
    margins = y * (X @ w)
    return np.mean(np.logaddexp(0.0, -margins))


# ---------------------------------------------------------------------------------------------
# Masks, gathers, where.


def masked_and_gathered(x, idx):
    positive = x[x > 0.1]
    picked = x[idx]
    return np.sum(positive**2) + np.sum(np.sin(picked)) + x[0] * x[-1]


def clipped_relu_where(x, w):
    z = x * w
    return np.sum(np.where(z > 0.0, z**2, 0.1 * z))


def rows_and_columns(M):
    return np.sum(M[:, 0] * M[:, 1]) + np.sum(M[1:] ** 2) + np.sum(M[::2, -1])


def picked_by_lists(M, v):
    # found by the fuzzer: a list of indices was read as a tuple of axes (x[[0, 0]] as x[0, 0])
    order = [2, 0, 2]
    return np.sum(v[[0, 0, 1]] ** 2) + np.sum(M[order].T * v[order]) + np.sum(M[1, [0, 0]])


# ---------------------------------------------------------------------------------------------
# Branches.


def value_branch(x, w):
    y = x * w
    if np.sum(y) > 0:
        y = np.tanh(y)
    else:
        y = y**2
    return np.sum(y)


def different_variables(x, w):
    penalty = 0.0
    bonus = 0.0
    if np.sum(x * w) > 0:
        penalty = np.sum(w**2)
    else:
        bonus = np.sum(np.tanh(x * w))
    return penalty - bonus + np.sum(x)


def piecewise(t):
    if t < -1.0:
        y = -t
    elif t < 1.0:
        y = 0.5 * t**2 + 0.5
    else:
        y = t
    return y * y


def conditional_activation(x, w):
    z = x @ w
    act = np.tanh(z) if np.mean(z) > 0 else 0.5 * z
    scale = 2.0 if np.sum(w) > 0 else -1.0
    return np.sum(act * scale)


def branch_in_loop(x, w, signs):
    h = x
    for t in range(len(signs)):
        if signs[t] > 0:
            h = np.tanh(h * w)
        else:
            h = h + 0.1 * w
        if t % 2 == 0:
            h = h * 0.9
    return np.sum(h**2)


# ---------------------------------------------------------------------------------------------
# Loops that overwrite and accumulate.


def overwrite_and_accumulate(W, x):
    h = x
    total = 0.0
    for _ in range(5):
        h = np.tanh(h @ W + x)
        total += np.sum(h)
    return total


def clipped_updates(x, w):
    for _ in range(4):
        x = clip_by_norm(x * w + 0.3, limit=1.5)
    return np.sum(x**2)


def nested_loops(A, v):
    total = 0.0
    for i in range(3):
        u = v
        for j in range(i + 2):
            u = np.sin(A @ u) + 0.1 * j
        total = total + np.sum(u) * (i + 1)
    return total


def cumulative_product(rates):
    wealth = 1.0
    history = 0.0
    for t in range(rates.shape[0]):
        wealth = wealth * (1.0 + rates[t])
        history = history + wealth
    return history


def cumulative_sum(x):
    running = np.zeros(x.shape[1])
    total = 0.0
    for row in x:
        running = running + row
        total = total + np.sum(running**2)
    return total + np.sum(np.cumsum(x, axis=0) ** 2) + np.prod(1.0 + 0.1 * x)


# ---------------------------------------------------------------------------------------------
# break and continue.


def early_stop(x, w):
    for _ in range(10):
        x = np.tanh(x * w)
        if np.sum(x) < 0.1:
            break
    return np.sum(x)


def skip_negative(xs, w):
    total = 0.0
    for x in xs:
        if np.sum(x) < 0:
            continue
        total = total + np.sum(x * w)
    return total


# ---------------------------------------------------------------------------------------------
# Found by the fuzzer (srcgrad.fuzz): each was a wrong gradient or a crash, now fixed.


def branch_value_used_after_the_branch(x, w):
    # the branch's value (z) was not saved per iteration: the backward pass read the last one
    h = x
    for _ in range(3):
        z = np.sin(h) if np.sum(h) > 0 else np.cos(h)
        h = z * w + h
    return np.sum(h * h)


def last_row_after_the_loop(X, w):
    # the loop variable read after the loop got the gradient of every row, not just the last
    s = 0.0
    for row in X:
        s = s + np.sum(row * w)
    for i, (a, b) in enumerate(zip(X[:, 0], w)):
        s = s + a * b * i
    return s + np.sum(row**2) + a * 3.0 + b


def swapped_in_a_loop(x, y):
    # the gradients of `a, b = b, a * 2.0` were swapped one after the other, not at once
    a, b = x, y
    for _ in range(3):
        a, b = b, a * 2.0
    return np.sum(a * np.arange(1.0, 3.0)) + np.sum(b)


def tuple_built_before_the_loop(x, y):
    # Python builds (a, b) before the loop; srcgrad read the reassigned b
    a, b = x * 1.0, y * 1.0
    s = 0.0
    for v in (a, b):
        s = s + np.sum(v * v)
        b = b * 3.0
    return s + np.sum(b)


def looped_on_from_a_tanh(x, w):
    # the loop went on under the name of tanh's result, which tanh's gradient reads afterwards
    h = np.tanh(x)
    y = h * 2.0
    for _ in range(2):
        h = h * w
    return np.sum(h) + np.sum(y * w)


def renamed_in_one_branch(x, w):
    # `x = np.tanh(x); h = x` in one branch: h and x were both joined under tanh's name
    h = x * w
    if np.sum(w) > 0:
        x = np.tanh(x)
        h = x
    return np.sum(h * x) + np.sum(x)


def swapped_in_a_branch_in_a_loop(x, y):
    # the gradients a branch moves between names were moved one after the other, not at once
    h = x * 1.0
    for _ in range(2):
        if np.sum(y) > -100.0:
            h, x = x, h
        x = x * y
    return np.sum(h) + np.sum(x * 3.0)


def row_it_broke_at(X, w):
    # after `break`, the loop variable is the row it broke at (the loop ran on, doing nothing)
    for i, row in enumerate(X):
        if np.sum(row * w) > 0.0:
            break
    return np.sum(row * w) * i + np.sum(X[i] ** 2)


def branch_with_nothing_left_backward(b, X):
    # the else branch's backward statements were all dead: an `else:` holding only a comment
    if np.sum(X) > 2:
        h = b
    else:
        h = np.maximum(X, 0.0)
    return np.sum(h) + np.sum(np.tanh(b))


def broke_out_of_a_tuple_loop(x):
    # break in a loop over a literal tuple, a name assigned after it: UnboundLocalError
    for row in (x, x):
        if np.sum(x) > -100.0:
            break
        unused = row * 2.0
    return np.sum(x)


def comprehension_in_one_branch_twice(x):
    # the comprehension's variable leaked out of one branch and was joined: UnboundLocalError
    if np.sum(x) > 0.0:
        h = x
    else:
        h = sum(x * (k + 1) for k in range(1))
    if np.sum(x) > 0.0:
        h2 = x
    else:
        h2 = sum(x * (k + 1) for k in range(1))
    return np.sum(h) + np.sum(h2)


def renamed_before_a_break(x, X):
    for _ in range(1):
        if np.sum(X) > 0.0:
            break
        X = np.tanh(X)
        h = X
    return np.sum(X * x)


def loop_in_a_tuple_loop(x, Y):
    # a loop carrying Y inside a loop over a literal tuple: wrong value
    acc = 0.0
    for row in (x, x):
        for _ in range(2):
            Y = np.tanh(Y)
        acc += np.sum(Y * row)
    return acc


def renamed_in_an_elif(W):
    # `h = W if c else W` in an elif without else: the value came out None
    if W.shape[0] > 2:
        h = W
    elif np.sum(W) > 0.0:
        W = np.tanh(W)
        h = W if np.sum(W) > 0.0 else W
    return np.sum(W)


def swapped_then_chosen_in_a_loop(x, Y):
    for _ in range(1):
        Y, x = x, Y
        h = Y if np.sum(x) > 100.0 else x
    return np.sum(h)


def one_branch_value_read_in_another_branch(x):
    # h, joined by the first `if`, is read by the second one's gradient: it was not saved
    acc = np.zeros_like(x)
    for t in range(2):
        h = x if t % 2 == 0 else x * 2.0
        acc += np.sin(h) if np.mean(x) < 0.0 else x
    return np.sum(acc)


def renamed_in_the_other_branch_in_a_loop(x):
    # x_3 was renamed away in one branch while it was another variable's join: UnboundLocalError
    for _ in range(1):
        if np.sum(x) > 0.0:
            z = np.tanh(x)
        else:
            x = np.tanh(x)
            z = x
    return np.sum(z)


def swapped_with_a_branch_swap_inside(x, X, Y):
    # a carried gradient was read after the branch had reassigned the name it lived under
    for _ in range(1):
        if np.sum(x) > 0.0:
            X, Y = Y, X
        X, x = x, X
    return np.sum(x * 2.0) + np.sum(X * Y)


def rotated_with_an_inner_loop(x, X):
    # the inner loop fixed dX under its name while another gradient still read the old dX
    x = x + x
    s = 0.0
    while s < 2.0:
        X, x = np.tanh(x), X
        for _ in range(1):
            h = x
        s = s + 0.75 + 0.25 * np.tanh(np.sum(x))
    return np.sum(h) + np.sum(X)


def rows_of_a_rebound_array_in_a_nested_loop(x):
    # the gradient of x from before the loops came out 0 (Python iterates the x of the loop's start)
    for _ in range(2):
        for row in x:
            x = np.tanh(x) + row
    return np.sum(x)


def assigned_in_one_branch_then_looped(x):
    # z, assigned in one branch only, was copied into the loop: UnboundLocalError
    if np.sum(x) > 0:
        z = x * 2.0
    for i in range(2):
        z = np.sin(x) + i
    return np.sum(z)


def parameter_part_rebound_in_a_loop(params, x):
    # the loop went on under the name of params["b"], so params["b"] read the rebound value
    b = params["b"]
    for _ in range(2):
        b = b * 2.0
    return np.sum(params["b"] * x) + np.sum(b)


# ---------------------------------------------------------------------------------------------
# Python float scalar code.


def per_sample_loss(w, x, y):
    return (x * w - y) ** 2


def quadratic(w1, w2, b, x):
    return w1 * x**2 + w2 * x + b


def polynomial(x):
    return x**3 + x**2 + x + 5


def sgd_epoch(w, b, xs, ys):
    loss = 0.0
    for x, y in zip(xs, ys):
        err = w * x + b - y
        loss = loss + err * err
    return loss


def compound_interest(rate, years):
    balance = 100.0
    for _ in range(years):
        balance = balance * (1.0 + rate)
    return balance


def fibonacci(prev, cur):
    for _ in range(5):
        prev, cur = cur, cur + prev
    return cur


# ---------------------------------------------------------------------------------------------
# Parameters in containers, comprehensions.


def dict_of_weights(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def list_of_weights(params, x):
    W, b = params
    return np.sum(np.tanh(x @ W + b))


def layers_in_a_list(layers, x, y):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.mean((h - y) ** 2)


def sum_over_rows(xs, w):
    return sum(np.sum(x * w) for x in xs)


def unpacked_array(theta, data):
    mu, log_sigma = theta
    z = (data - mu) / np.exp(log_sigma)
    return np.sum(0.5 * z**2 + log_sigma)


# ---------------------------------------------------------------------------------------------
# Closed-over values.


def make_weighted_loss(weights):
    def weighted_loss(x):
        return np.sum(weights * x**2)

    return weighted_loss


weighted_loss = make_weighted_loss(np.array([1.0, 2.0, 3.0]))


# ---------------------------------------------------------------------------------------------
# Programs srcgrad refuses, each with one unsupported construct.


def fill_in_place(x, w):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = np.tanh(x[i] * w)
    return np.sum(y)


def stacked_scores(xs, w):
    parts = [np.sum(x * w) for x in xs if np.sum(x) > 0]
    return np.sum(np.stack(parts))


def helper_from_another_module(x):
    return other_module.bare_numpy(x) * 2.0


def no_rule_function(x):
    spectrum = np.fft.hfft(x)
    return np.sum(np.abs(spectrum))


def in_range(x):
    if 0.0 < np.sum(x) < 1.0:
        x = x * 2.0
    return np.sum(x)


def until_small_or_many(x, w):
    n = 0
    while np.sum(x**2) > 0.01 and n < 50:
        x = x * w
        n += 1
    return np.sum(x)


def alias_then_add_in_place(x, w):
    # found by the fuzzer: `+=` changes the array both names hold; srcgrad computed `h = h + ...`
    h = x * w
    before = h
    h += x
    return np.sum(before * h)


def step_in_place(h, x):
    h += x
    return np.tanh(h)


def helper_adds_in_place(x, w):
    h = x * w
    out = step_in_place(h, x)
    return np.sum(out) + np.sum(h)


def local_helper(x, w):
    def squash(z):
        return np.tanh(z) * 2.0

    return np.sum(squash(x * w))


def rotated_then_chosen(x, X):
    # found by the fuzzer: the branch's join reassigned dX while X's new value's gradient still
    # lived under that name (srcgrad gave 0.51 where the answer is 0)
    x = np.linalg.norm(x)
    acc = 0.0
    for _ in range(2):
        X, x = np.tanh(x), X
        acc += x if np.sum(x) > 0.0 else acc
    return np.sum(acc)


def tanh_steps(x):
    for _ in range(2):
        x = np.tanh(x)
    return x


def helper_loop_on_a_caller_value(x):
    # found by the fuzzer: the helper's loop went on under the caller's name for x, so the
    # caller's x, read after the call, was the helper's result (value and gradient wrong)
    x = x + x
    h = tanh_steps(x)
    return np.sum(x) + np.sum(h * h)


def cosines_of_a_running_total(x):
    total = 0.0
    i = 0.5
    for row in x:  # srcgrad counts this loop with an index of its own
        total = total + np.sum(row) * i
    return sum(np.cos(total * x[0]) for t in range(2)) * i


def helper_with_names_srcgrad_also_makes(x):
    # found by the fuzzer: in a helper, the total srcgrad makes for `sum(...)` and the index it
    # makes for `for row in x` took the helper's own names `total` and `i` (wrong value)
    return np.sum(cosines_of_a_running_total(x))


def product_after_a_rotating_loop(x):
    # found by the fuzzer: the gradient of `h @ h2` with respect to h2 reads the final `h`; it was
    # folded into a line after the backward loop, which by then had restored `h` to its first value
    h, h2 = x * 0.5, np.sum(x, axis=0)
    s = 0.0
    while s < 2.0:
        h, x = x, np.sin(h)
        s = s + 0.75 + 0.25 * np.tanh(np.sum(x))
    return np.sum(h @ h2)
