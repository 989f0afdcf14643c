"""Rows for the FFT rules and the rules of complex values (srcgrad/rules/numpy/fft.py).

Each transform is tested inside a real function of real arguments, as users call it: the
complex transforms and the real-input ones through the real part of the spectrum times a
complex constant C (which reads the imaginary part too), the real-output ones (`irfft`,
`irfft2`, `irfftn`) on such a spectrum. Lengths other than the input's (`n`, `s`), axes and
norms are varied. The rows of np.abs, np.real, np.imag, np.conj and np.angle on complex values
check the rules those functions have there. The machinery is in tests/rulespec.py and the forms
each row is tested in are described in tests/test_rules.py; the tests after the table check exact
values and programs.
"""

from __future__ import annotations

import numpy as np
import pytest
from rulespec import *  # noqa: F403  (domains and argument builders, used by the rows)
from rulespec import check_program, define_tests, rows

import srcgrad

row = rows(globals())

C = 1 - 0.5j  # Re(z * C) = Re(z) + Im(z) / 2


def sides(lo, hi):
    """One array argument with `lo..hi` axes of 2 to 4 entries (irfft's default length,
    2 (m - 1), is 0 for m = 1)."""
    return unary(REAL, min_dims=lo, max_dims=hi, min_side=2)


def fft_s(x):
    return np.sum(np.real(np.fft.fft(x) * C))


def fft_w(x, w):
    return np.sum(w * np.real(np.fft.fft(x) * C))


def fft_n_s(x):
    return np.sum(np.real(np.fft.fft(x, 3, axis=0) * C))


def fft_n_w(x, w):
    return np.sum(w * np.real(np.fft.fft(x, 3, axis=0) * C))


def fft_ortho_s(x):
    return np.sum(np.real(np.fft.fft(x, norm="ortho") * C))


def fft_ortho_w(x, w):
    return np.sum(w * np.real(np.fft.fft(x, norm="ortho") * C))


def ifft_s(x):
    return np.sum(np.real(np.fft.ifft(x) * C))


def ifft_w(x, w):
    return np.sum(w * np.real(np.fft.ifft(x) * C))


def ifft_n_s(x):
    return np.sum(np.real(np.fft.ifft(x, 5, norm="forward") * C))


def ifft_n_w(x, w):
    return np.sum(w * np.real(np.fft.ifft(x, 5, norm="forward") * C))


def fft2_s(x):
    return np.sum(np.real(np.fft.fft2(x) * C))


def fft2_w(x, w):
    return np.sum(w * np.real(np.fft.fft2(x) * C))


def fft2_s_s(x):
    return np.sum(np.real(np.fft.fft2(x, s=(3, 2)) * C))


def fft2_s_w(x, w):
    return np.sum(w * np.real(np.fft.fft2(x, s=(3, 2)) * C))


def ifft2_s(x):
    return np.sum(np.real(np.fft.ifft2(x, axes=(0, 1)) * C))


def ifft2_w(x, w):
    return np.sum(w * np.real(np.fft.ifft2(x, axes=(0, 1)) * C))


def ifft2_s_s(x):
    return np.sum(np.real(np.fft.ifft2(x, s=(2, 4)) * C))


def ifft2_s_w(x, w):
    return np.sum(w * np.real(np.fft.ifft2(x, s=(2, 4)) * C))


def fftn_s(x):
    return np.sum(np.real(np.fft.fftn(x) * C))


def fftn_w(x, w):
    return np.sum(w * np.real(np.fft.fftn(x) * C))


def fftn_s_s(x):
    return np.sum(np.real(np.fft.fftn(x, s=(2, 3), axes=(0, 1)) * C))


def fftn_s_w(x, w):
    return np.sum(w * np.real(np.fft.fftn(x, s=(2, 3), axes=(0, 1)) * C))


def ifftn_s(x):
    return np.sum(np.real(np.fft.ifftn(x, axes=(0,)) * C))


def ifftn_w(x, w):
    return np.sum(w * np.real(np.fft.ifftn(x, axes=(0,)) * C))


def ifftn_s_s(x):
    return np.sum(np.real(np.fft.ifftn(x, s=(4,), axes=(-1,)) * C))


def ifftn_s_w(x, w):
    return np.sum(w * np.real(np.fft.ifftn(x, s=(4,), axes=(-1,)) * C))


def rfft_s(x):
    return np.sum(np.real(np.fft.rfft(x) * C))


def rfft_w(x, w):
    return np.sum(w * np.real(np.fft.rfft(x) * C))


def rfft_n_s(x):
    return np.sum(np.real(np.fft.rfft(x, 4, axis=0) * C))


def rfft_n_w(x, w):
    return np.sum(w * np.real(np.fft.rfft(x, 4, axis=0) * C))


def rfft_odd_s(x):
    return np.sum(np.real(np.fft.rfft(x, 5, norm="ortho") * C))


def rfft_odd_w(x, w):
    return np.sum(w * np.real(np.fft.rfft(x, 5, norm="ortho") * C))


def rfft2_s(x):
    return np.sum(np.real(np.fft.rfft2(x) * C))


def rfft2_w(x, w):
    return np.sum(w * np.real(np.fft.rfft2(x) * C))


def rfftn_s(x):
    return np.sum(np.real(np.fft.rfftn(x) * C))


def rfftn_w(x, w):
    return np.sum(w * np.real(np.fft.rfftn(x) * C))


def rfftn_s_s(x):
    return np.sum(np.real(np.fft.rfftn(x, s=(3, 4), axes=(0, 1)) * C))


def rfftn_s_w(x, w):
    return np.sum(w * np.real(np.fft.rfftn(x, s=(3, 4), axes=(0, 1)) * C))


def irfft_s(x):
    return np.sum(np.fft.irfft(np.fft.fft(x) * C))


def irfft_w(x, w):
    return np.sum(w * np.fft.irfft(np.fft.fft(x) * C))


def irfft_n_s(x):
    return np.sum(np.fft.irfft(np.fft.fft(x) * C, 5))


def irfft_n_w(x, w):
    return np.sum(w * np.fft.irfft(np.fft.fft(x) * C, 5))


def irfft_axis_s(x):
    return np.sum(np.fft.irfft(np.fft.fft(x, axis=0) * C, 2, axis=0, norm="ortho"))


def irfft_axis_w(x, w):
    return np.sum(w * np.fft.irfft(np.fft.fft(x, axis=0) * C, 2, axis=0, norm="ortho"))


def irfft2_s(x):
    return np.sum(np.fft.irfft2(np.fft.fft2(x) * C))


def irfft2_w(x, w):
    return np.sum(w * np.fft.irfft2(np.fft.fft2(x) * C))


def irfftn_s(x):
    return np.sum(np.fft.irfftn(np.fft.fftn(x) * C))


def irfftn_w(x, w):
    return np.sum(w * np.fft.irfftn(np.fft.fftn(x) * C))


def irfftn_s_s(x):
    return np.sum(np.fft.irfftn(np.fft.fftn(x) * C, s=(3, 4), axes=(0, 1)))


def irfftn_s_w(x, w):
    return np.sum(w * np.fft.irfftn(np.fft.fftn(x) * C, s=(3, 4), axes=(0, 1)))


def abs_complex_s(x):
    return np.sum(np.abs(x + 0.5j))


def abs_complex_w(x, w):
    return np.sum(w * np.abs(x + 0.5j))


def real_complex_s(x):
    return np.sum(np.real(np.exp(1j * x)))


def real_complex_w(x, w):
    return np.sum(w * np.real(np.exp(1j * x)))


def real_attr_s(x):
    return np.sum((np.exp(1j * x) * x).real)


def real_attr_w(x, w):
    return np.sum(w * (np.exp(1j * x) * x).real)


def imag_complex_s(x):
    return np.sum(np.imag(np.exp(1j * x) * x))


def imag_complex_w(x, w):
    return np.sum(w * np.imag(np.exp(1j * x) * x))


def conj_complex_s(x):
    return np.sum(np.real(np.conj(x * C) * C))


def conj_complex_w(x, w):
    return np.sum(w * np.real(np.conj(x * C) * C))


def angle_complex_s(x):
    return np.sum(np.angle(x + 1j))


def angle_complex_w(x, w):
    return np.sum(w * np.angle(x + 1j))


def angle_deg_complex_s(x):
    return np.sum(np.angle(x - 2j, deg=True))


def angle_deg_complex_w(x, w):
    return np.sum(w * np.angle(x - 2j, deg=True))


# fmt: off
SPECS = [
    row("fft", "fft", "fft", lambda x: np.real(np.fft.fft(x) * C), args=ndim(1, 3)),
    row("fft-n=3-axis=0", "fft", "fft_n", lambda x: np.real(np.fft.fft(x, 3, axis=0) * C), args=ndim(1, 3)),
    row("fft-norm=ortho", "fft", "fft_ortho",
        lambda x: np.real(np.fft.fft(x, norm="ortho") * C), args=ndim(1, 3)),
    row("ifft", "ifft", "ifft", lambda x: np.real(np.fft.ifft(x) * C), args=ndim(1, 3)),
    row("ifft-n=5-norm=forward", "ifft", "ifft_n",
        lambda x: np.real(np.fft.ifft(x, 5, norm="forward") * C), args=ndim(1, 3)),
    row("fft2", "fft2", "fft2", lambda x: np.real(np.fft.fft2(x) * C), args=ndim(2, 3)),
    row("fft2-s=(3,2)", "fft2", "fft2_s", lambda x: np.real(np.fft.fft2(x, s=(3, 2)) * C), args=ndim(2, 3)),
    row("ifft2-axes=(0,1)", "ifft2", "ifft2",
        lambda x: np.real(np.fft.ifft2(x, axes=(0, 1)) * C), args=ndim(2, 3)),
    row("ifft2-s=(2,4)", "ifft2", "ifft2_s",
        lambda x: np.real(np.fft.ifft2(x, s=(2, 4)) * C), args=ndim(2, 3)),
    row("fftn", "fftn", "fftn", lambda x: np.real(np.fft.fftn(x) * C), args=ndim(1, 3)),
    row("fftn-s=(2,3)-axes=(0,1)", "fftn", "fftn_s",
        lambda x: np.real(np.fft.fftn(x, s=(2, 3), axes=(0, 1)) * C), args=ndim(2, 3)),
    row("ifftn-axes=(0,)", "ifftn", "ifftn",
        lambda x: np.real(np.fft.ifftn(x, axes=(0,)) * C), args=ndim(1, 3)),
    row("ifftn-s=(4,)-axes=(-1,)", "ifftn", "ifftn_s",
        lambda x: np.real(np.fft.ifftn(x, s=(4,), axes=(-1,)) * C), args=ndim(1, 3)),
    row("rfft", "rfft", "rfft", lambda x: np.real(np.fft.rfft(x) * C), args=ndim(1, 3)),
    row("rfft-n=4-axis=0", "rfft", "rfft_n",
        lambda x: np.real(np.fft.rfft(x, 4, axis=0) * C), args=ndim(1, 3)),
    row("rfft-n=5-norm=ortho", "rfft", "rfft_odd",
        lambda x: np.real(np.fft.rfft(x, 5, norm="ortho") * C), args=ndim(1, 3)),
    row("rfft2", "rfft2", "rfft2", lambda x: np.real(np.fft.rfft2(x) * C), args=ndim(2, 3)),
    row("rfftn", "rfftn", "rfftn", lambda x: np.real(np.fft.rfftn(x) * C), args=ndim(1, 3)),
    row("rfftn-s=(3,4)-axes=(0,1)", "rfftn", "rfftn_s",
        lambda x: np.real(np.fft.rfftn(x, s=(3, 4), axes=(0, 1)) * C), args=ndim(2, 3)),
    row("irfft", "irfft", "irfft", lambda x: np.fft.irfft(np.fft.fft(x) * C), args=sides(1, 3)),
    row("irfft-n=5", "irfft", "irfft_n", lambda x: np.fft.irfft(np.fft.fft(x) * C, 5), args=sides(1, 3)),
    row("irfft-n=2-axis=0-norm=ortho", "irfft", "irfft_axis",
        lambda x: np.fft.irfft(np.fft.fft(x, axis=0) * C, 2, axis=0, norm="ortho"), args=sides(1, 3)),
    row("irfft2", "irfft2", "irfft2", lambda x: np.fft.irfft2(np.fft.fft2(x) * C), args=sides(2, 3)),
    row("irfftn", "irfftn", "irfftn", lambda x: np.fft.irfftn(np.fft.fftn(x) * C), args=sides(1, 3)),
    row("irfftn-s=(3,4)-axes=(0,1)", "irfftn", "irfftn_s",
        lambda x: np.fft.irfftn(np.fft.fftn(x) * C, s=(3, 4), axes=(0, 1)), args=sides(2, 3)),
    row("abs-complex", "abs_complex", "abs_complex", lambda x: np.abs(x + 0.5j), args=ndim(0, 2)),
    row("real-complex", "real_complex", "real_complex", lambda x: np.real(np.exp(1j * x)), args=ndim(0, 2)),
    row("x.real-complex", "real_complex", "real_attr", lambda x: (np.exp(1j * x) * x).real, args=ndim(0, 2)),
    row("imag-complex", "imag_complex", "imag_complex",
        lambda x: np.imag(np.exp(1j * x) * x), args=ndim(0, 2)),
    row("conj-complex", "conjugate_complex", "conj_complex",
        lambda x: np.real(np.conj(x * C) * C), args=ndim(0, 2)),
    row("angle-complex", "angle_complex", "angle_complex", lambda x: np.angle(x + 1j), args=ndim(0, 2)),
    row("angle-deg-complex", "angle_complex", "angle_deg_complex",
        lambda x: np.angle(x - 2j, deg=True), args=ndim(0, 2)),
]
# fmt: on

define_tests(SPECS, globals())


def spectral_loss(x, target):
    """A power-spectrum loss, as signal-processing programs write one."""
    power = np.abs(np.fft.rfft(x)) ** 2
    return np.sum((np.log(power + 1.0) - target) ** 2)


def low_pass(x, keep):
    """Filtering in the frequency domain and back."""
    spectrum = np.fft.rfft(x)
    filtered = np.fft.irfft(spectrum * keep, n=x.shape[0])
    return np.sum((filtered - x) ** 2) + np.sum(filtered**4)


def phase_loop(x):
    """Complex values carried through a loop, and a branch on a real part."""
    z = np.exp(1j * x)
    for _ in range(3):
        z = z * z * 0.5 + x
    if np.sum(np.real(z)) > 0:
        return np.sum(np.abs(z))
    return np.sum(np.angle(z) * x)


def test_programs_with_complex_values():
    rng = np.random.default_rng(5)
    x = rng.normal(size=8)
    check_program(spectral_loss, (x, rng.normal(size=5)), ("x",))
    keep = np.array([1.0, 1.0, 0.5, 0.0, 0.0])
    check_program(low_pass, (x, keep), ("x",))
    check_program(phase_loop, (rng.normal(size=4) * 0.3,), ("x",))


def test_second_derivatives_through_transforms():
    rng = np.random.default_rng(6)
    x, v = rng.normal(size=6), rng.normal(size=6)
    g = srcgrad.grad(spectral_loss, wrt=("x",), with_value=False)
    target = rng.normal(size=4)
    eps = 1e-5
    expected = (g(x + eps * v, target)[0] - g(x - eps * v, target)[0]) / (2 * eps)
    (observed,) = srcgrad.hvp(spectral_loss, wrt=("x",))(x, target, v)
    np.testing.assert_allclose(observed, expected, rtol=1e-5, atol=1e-6)


def test_the_gradient_of_a_transform_is_the_transform():
    """The generated code reads like the math: the gradient of fft is fft of the gradient, and the
    real part goes back to the real input."""
    source = srcgrad.source(fft_w, wrt="x")
    assert "np.real(np.fft.fft(" in source, source
    assert "fftn_adjoint" not in source, source


def test_rules_of_real_values_are_kept_where_nothing_is_complex():
    """np.abs of a real array keeps its rule (no complex_sign, no np.real)."""
    source = srcgrad.source(real_abs_s, wrt="x")
    assert "complex_sign" not in source and "np.real" not in source, source
    assert "np.sign(x)" in source, source


def real_abs_s(x):
    return np.sum(np.abs(x) * 2.0)


def test_a_function_without_a_complex_rule_is_refused_at_its_line():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="holds for real values only") as info:
        srcgrad.grad(complex_maximum)(np.ones(3))
    assert "test_rules_fft.py" in str(info.value) and "np.maximum(z, 0.0)" in str(info.value)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="gives no tangent"):
        srcgrad.jvp(complex_maximum)(np.ones(3), np.ones(3))


def complex_maximum(x):
    z = np.fft.fft(x)
    return np.sum(np.real(np.maximum(z, 0.0)))


def test_a_complex_result_is_refused():
    with pytest.raises(srcgrad.errors.ComplexValueError, match="returned a complex value"):
        srcgrad.grad(complex_result)(np.ones(3))


def complex_result(x):
    return np.sum(np.fft.fft(x))
