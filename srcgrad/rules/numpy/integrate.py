"""scipy.integrate: odeint, differentiated in y0, the args and the times, by solving ODEs too.

The rule is registered once the user's program has imported `scipy.integrate` (`from
scipy.integrate import odeint`), as scipy.special's are. `odeint(func, y0, t, args)` solves
y' = func(y, t, *args); its gradient is the adjoint method's (an ODE solved backwards in time,
as autograd's and JAX's odeint do), its tangent the sensitivity equations' (an ODE solved
forwards with y), both in `srcgrad/runtime/integrate.py`. Each needs the derivatives of `func`,
which srcgrad makes from `func`'s own source while the generated code runs (`srcgrad.vjp` and
`srcgrad.jvp` of it, made once per function): `func` must be a function srcgrad can
differentiate, in its first parameter (its second with `tfirst=True`) and in those that take the
floats and float arrays of `args`.

The times are the rule's `times` parameter, SciPy's `t` (a tangent template calls its tangent
`t`): a call passing them by keyword, `t=...`, binds them to `times`.
The helpers are first-order only: a second derivative (hvp, hessian) through odeint stops with
an error naming the helper.
"""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

from ..registry import ADJOINTS, TANGENTS, adjoint, tangent

registered = False


def register_scipy() -> None:
    """Register the rules of scipy.integrate.odeint, the adjoint with its tangent."""
    global registered
    registered = True
    from scipy.integrate import odeint as solver

    @adjoint(solver)
    def odeint(g, ans, func, y0, times, args=(), *, rtol=None, atol=None, mxstep=0, tfirst=False):
        # the adjoint method: the adjoint ODE is solved backwards from each output time to the
        # one before, restarted from ans there, by odeint with the call's own rtol, atol and
        # mxstep (SciPy's defaults, 1.49012e-8, if not given) over y, the adjoint and the args'
        # gradients together: the gradient is as accurate as those tolerances make that backward
        # solve, about as accurate as ans. An output time's gradient is g . f(ans, time) there,
        # the first time's -a . f(y0, t[0]) (a, the adjoint there without g[0]). A backward solve
        # SciPy cannot finish raises NoGradientError; odeint's other keywords are refused
        if rtol is None and atol is None and mxstep == 0 and tfirst is False:
            grads = odeint_adjoint(g, ans, func, y0, times, args)
        else:
            grads = odeint_adjoint(g, ans, func, y0, times, args, rtol, atol, mxstep, tfirst)
        dy0 = grads[0]
        dtimes = grads[1]
        dargs = grads[2]

    @tangent(solver)
    def odeint_tangent(t, ans, func, y0, times, args=(), *, rtol=None, atol=None, mxstep=0, tfirst=False):
        # the sensitivity equations, solved forwards with y, one solve per part, with the call's
        # tolerances
        if rtol is None and atol is None and mxstep == 0 and tfirst is False:
            dy0 = odeint_jvp(ans, func, y0, times, args, dy0=t)
            dtimes = odeint_jvp(ans, func, y0, times, args, dtimes=t)
            dargs = odeint_jvp(ans, func, y0, times, args, dargs=t)
        else:
            dy0 = odeint_jvp(ans, func, y0, times, args, rtol, atol, mxstep, tfirst, dy0=t)
            dtimes = odeint_jvp(ans, func, y0, times, args, rtol, atol, mxstep, tfirst, dtimes=t)
            dargs = odeint_jvp(ans, func, y0, times, args, rtol, atol, mxstep, tfirst, dargs=t)

    for table in (ADJOINTS, TANGENTS):  # odeint(func, y0, t=...): SciPy's `t` is `times` here
        table[solver].keywords = {"t": "times"}
