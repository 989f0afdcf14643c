"""Runtime helpers for the scipy.integrate rules (see srcgrad/rules/numpy/integrate.py): the
adjoint solve of `odeint`'s gradient and the sensitivity solve of its tangent.

`odeint(func, y0, t, args)` solves y' = f(y, t) = func(y, t, *args) from y(t[0]) = y0 and returns
y at each time of `t`, a row each. Its derivatives solve ODEs of their own, which these helpers
hand to odeint in turn:

- The gradient (`odeint_adjoint`), by the adjoint method. The adjoint a = dL/dy solves
  a' = -a ∂f/∂y backwards in time, from the last output time to the first, taking in the
  gradient arriving at each output as it passes it; dL/dargs gathers the integral of a ∂f/∂args
  on the way. y is integrated backwards alongside a, restarted from odeint's own result at each
  output time. An output time t_i (i > 0) gets g_i · f(y_i, t_i), the slope of its own row, and
  the first time gets -a(t_0) · f(y_0, t_0), a(t_0) without the first row's gradient: moving the
  start moves the whole solution, not y0.
- The tangent (`odeint_jvp`), by the sensitivity equations. The tangent s of y solves
  s' = ∂f/∂y s + ∂f/∂args dargs from s(t_0) = dy0 - f(y0, t_0) dt_0, integrated forwards with y;
  an output time's own tangent adds f(y_i, t_i) dt_i to its row.

Both need derivatives of the user's `func`, a function passed as a value: srcgrad differentiates
it when the gradient runs, with `srcgrad.vjp` (reverse) or `srcgrad.jvp` (forward) of it in y and
in each float of `args`, made once per function and kept (`_derivative`): the function to
differentiate is known only then. srcgrad's transforms sit above the runtime; `hooks.py` holds
them for these helpers.
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import NoGradientError, SrcgradError, UnsupportedArgumentsError
from .hooks import transform

__all__ = ["odeint_adjoint", "odeint_jvp"]

# The helpers above have no tangent rules (srcgrad/rules/helpers.py): a second derivative through
# odeint (hvp, hessian, grad of a grad) stops with a NoRuleError naming the helper.
FIRST_ORDER_ONLY = frozenset(__all__)


def odeint_adjoint(g, ans, func, y0, times, args=(), rtol=None, atol=None, mxstep=0, tfirst=False):
    """The gradients `(dy0, dtimes, dargs)` of a loss L, given `g` = dL/d`ans` for
    `ans = odeint(func, y0, times, args, rtol=rtol, atol=atol, mxstep=mxstep, tfirst=tfirst)`, by
    the adjoint method (see the module's docstring). `dargs` is a tuple with one gradient per
    item of `args`, None for an item that is no float or float array. The backward solves use
    odeint with the call's own `rtol`, `atol` and `mxstep`, over the whole augmented state."""
    from scipy.integrate import odeint

    rhs = _Rhs(func, y0, times, args, tfirst)
    n, times = rhs.n, rhs.times
    g = np.reshape(np.asarray(g, dtype=float), (len(times), n))
    ans = np.reshape(np.asarray(ans, dtype=float), (len(times), n))

    def backward(state, s):
        value, dy, dargs = rhs.vjp(state[:n], s, -state[n : 2 * n])
        return np.concatenate([value, dy, dargs])

    adjoint, dargs = np.zeros(n), np.zeros(rhs.size)
    dtimes = np.zeros(len(times))
    for i in range(len(times) - 1, 0, -1):
        adjoint = adjoint + g[i]
        dtimes[i] = g[i] @ rhs.value(ans[i], times[i])
        if times[i] == times[i - 1]:
            continue
        state = np.concatenate([ans[i], adjoint, dargs])
        span = np.array([times[i], times[i - 1]])
        end = _solve(odeint, backward, state, span, rtol, atol, mxstep, "the adjoint solve")
        adjoint, dargs = end[n : 2 * n], end[2 * n :]
    dtimes[0] -= adjoint @ rhs.value(ans[0], times[0])
    dy0 = np.reshape(adjoint + g[0], np.shape(y0))
    return dy0, np.reshape(dtimes, np.shape(times)), rhs.unflatten(dargs)


def odeint_jvp(
    ans,
    func,
    y0,
    times,
    args=(),
    rtol=None,
    atol=None,
    mxstep=0,
    tfirst=False,
    *,
    dy0=None,
    dtimes=None,
    dargs=None,
):
    """The tangent of `ans = odeint(func, y0, times, args, rtol=rtol, atol=atol, mxstep=mxstep,
    tfirst=tfirst)` that the tangents `dy0` of y0, `dtimes` of the times and `dargs` of the args
    (one per item, or None) bring, of `ans`'s shape, by the sensitivity equations (see the
    module's docstring); a None tangent is 0. The forward solve uses odeint with the call's own
    `rtol`, `atol` and `mxstep`, over y and its tangent together."""
    from scipy.integrate import odeint

    rhs = _Rhs(func, y0, times, args, tfirst)
    n, times = rhs.n, rhs.times
    start = np.zeros(n) if dy0 is None else np.ravel(np.asarray(dy0, dtype=float))
    if dtimes is not None:
        dtimes = np.ravel(np.asarray(dtimes, dtype=float))
        start = start - rhs.value(rhs.y0, times[0]) * dtimes[0]
    moved = rhs.flatten(dargs) if dargs is not None else None
    out = np.zeros((len(times), n))
    if np.any(start) or (moved is not None and np.any(moved)):

        def forward(state, s):
            value, tangent = rhs.jvp(state[:n], s, state[n:], moved)
            return np.concatenate([value, tangent])

        state = np.concatenate([rhs.y0, start])
        out = _solve(odeint, forward, state, times, rtol, atol, mxstep, "the sensitivity solve", whole=True)
        out = out[:, n:]
    if dtimes is not None:  # each output time's own: its row moves with the slope there
        ys = np.reshape(np.asarray(ans, dtype=float), (len(times), n))
        out = out + np.stack([rhs.value(y, s) * d for y, s, d in zip(ys, times, dtimes)])
    return np.reshape(out, np.shape(ans))


def _solve(odeint, f, state, span, rtol, atol, mxstep, what: str, whole: bool = False):
    """`odeint(f, state, span, ...)`: its last row (every row if `whole`), or an error if SciPy
    says the solve did not finish, whose rows would be no gradient."""
    out, info = odeint(f, state, span, rtol=rtol, atol=atol, mxstep=mxstep, full_output=True)
    if not info["message"].startswith("Integration successful"):
        raise NoGradientError(
            f"odeint's derivative needs {what} from t={span[0]:g} to t={span[-1]:g}, and it did "
            f"not finish: {info['message']}",
            hint="That solve uses the tolerances and mxstep of the call of odeint: pass a larger "
            "mxstep= (or looser rtol=, atol=) to it.",
        )
    return out if whole else out[-1]


def _differentiable(value) -> bool:
    """Whether an item of `args` gets a derivative: a float, or an array of floats."""
    if isinstance(value, (float, np.floating)):
        return True
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


@functools.lru_cache(maxsize=64)
def _derivative(kind: str, func, wrt: tuple):
    """`srcgrad.vjp` or `srcgrad.jvp` of `func` in the parameters at `wrt`, once per function."""
    return transform(kind)(func, wrt=wrt)


class _Rhs:
    """The right-hand side of one call of odeint, as the solves call it: f's value, its
    vector-Jacobian product and its Jacobian-vector product in y and the differentiated args,
    each flat (y is 1-D for odeint; the args' floats are laid end to end)."""

    def __init__(self, func, y0, times, args, tfirst):
        self.func, self.tfirst = func, bool(tfirst)
        self.args = tuple(args)
        self.times = np.asarray(times, dtype=float)
        self.y0 = np.ravel(np.asarray(y0, dtype=float))
        self.n = self.y0.size
        self.active = [i for i, a in enumerate(self.args) if _differentiable(a)]
        self.sizes = [np.size(self.args[i]) for i in self.active]
        self.size = sum(self.sizes)
        first = self._call(self.y0, self.times[0])
        self.shape = np.shape(first)  # the cotangent's
        # a value written as a list or tuple of numbers (`return [y[1], -y[0]]`) has no vjp in
        # srcgrad: its vector-Jacobian product is made from jvp columns instead
        self.listed = isinstance(first, (list, tuple))
        at = 1 if self.tfirst else 0
        self.y_wrt = (at,)
        self.all_wrt = (at, *(2 + i for i in self.active))

    def _arguments(self, y, t):
        return (t, y, *self.args) if self.tfirst else (y, t, *self.args)

    def _call(self, y, t):
        return self.func(*self._arguments(y, t))

    def value(self, y, t):
        return np.ravel(np.asarray(self._call(y, t), dtype=float))

    def _derivative(self, kind: str, wrt: tuple):
        try:
            return _derivative(kind, self.func, wrt)
        except SrcgradError as exc:
            raise self._explained(kind, exc) from exc

    def _run(self, kind: str, wrt: tuple, y, t, tangents):
        """`func`'s vjp (one cotangent) or jvp (a tangent per `wrt` parameter) at (y, t)."""
        derivative = self._derivative(kind, wrt)
        names = [derivative.cotangent_name] if kind == "vjp" else derivative.tangent_names
        try:  # by name: they are keyword-only after a parameter with a default
            return derivative(*self._arguments(y, t), **dict(zip(names, tangents)))
        except SrcgradError as exc:
            raise self._explained(kind, exc) from exc

    def _explained(self, kind: str, exc: SrcgradError) -> SrcgradError:
        """`exc` saying that odeint's derivative is what differentiated `func`."""
        what = getattr(self.func, "__name__", repr(self.func))
        message = (
            f"odeint's derivative differentiates its right-hand side {what!r} in y and in each "
            f"float of args (srcgrad.{kind} of it, as the derivative runs), which failed: {exc.message}"
        )
        try:
            return type(exc)(message, exc.location, exc.hint)
        except TypeError:
            return SrcgradError(message, exc.location, exc.hint)

    def flatten(self, items):
        """The floats of the differentiated items of `items` (aligned with args), end to end."""
        if len(items) != len(self.args):
            raise UnsupportedArgumentsError(
                f"odeint's derivative got {len(items)} tangents for {len(self.args)} args"
            )
        parts = [np.ravel(np.asarray(0.0 if items[i] is None else items[i], float)) for i in self.active]
        parts = [np.broadcast_to(p, (s,)) if p.size == 1 else p for p, s in zip(parts, self.sizes)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def unflatten(self, flat):
        """One gradient per item of args from their floats end to end: each in its item's
        shape (a float for a float), None for an item that is not differentiated."""
        out = [None] * len(self.args)
        offset = 0
        for i, size in zip(self.active, self.sizes):
            part, offset = flat[offset : offset + size], offset + size
            item = self.args[i]
            out[i] = float(part[0]) if isinstance(item, float) else np.reshape(part, np.shape(item))
        return tuple(out)

    def _split(self, flat):
        return [self.unflatten(flat)[i] for i in self.active]

    def vjp(self, y, t, cotangent):
        """(f, cotangent ∂f/∂y, cotangent ∂f/∂args) at (y, t), each flat."""
        if self.listed:
            return self._vjp_by_columns(y, t, cotangent)
        seed = np.reshape(cotangent, self.shape)
        value, grads = self._run("vjp", self.all_wrt, y, t, [seed])
        flat = [np.ravel(np.asarray(d, dtype=float)) for d in grads]
        return np.ravel(np.asarray(value, dtype=float)), flat[0], np.concatenate([np.zeros(0), *flat[1:]])

    def _vjp_by_columns(self, y, t, cotangent):
        """`vjp` for a value written as a list: the Jacobian a column at a time, by jvp."""
        rows = []
        for k in range(self.n + self.size):
            unit = np.zeros(self.n + self.size)
            unit[k] = 1.0
            tangents = [unit[: self.n], *self._split(unit[self.n :])]
            value, tangent = self._run("jvp", self.all_wrt, y, t, tangents)
            rows.append(np.ravel(np.asarray(tangent, dtype=float)))
        products = np.array(rows) @ np.ravel(cotangent)
        return np.ravel(np.asarray(value, dtype=float)), products[: self.n], products[self.n :]

    def jvp(self, y, t, dy, dargs=None):
        """(f, ∂f/∂y dy + ∂f/∂args dargs) at (y, t), flat; `dargs` flat, or None for 0."""
        if dargs is None:
            value, tangent = self._run("jvp", self.y_wrt, y, t, [dy])
        else:
            value, tangent = self._run("jvp", self.all_wrt, y, t, [dy, *self._split(dargs)])
        return np.ravel(np.asarray(value, dtype=float)), np.ravel(np.asarray(tangent, dtype=float))
