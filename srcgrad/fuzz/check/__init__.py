"""Check one generated program: srcgrad against the original function run as plain NumPy.

`check_program(program, seed)` loads the program as a real module (srcgrad reads source with
`inspect`), differentiates its main function with srcgrad and compares, at the inputs
`program.inputs(seed)`:

- the value srcgrad returns with the value of the original function;
- every element of every gradient with float64 central finite differences of the original;
- the gradients with autograd's, when autograd is installed (a second oracle: the same source
  run with `np` bound to `autograd.numpy`);
- and, exactly: the inputs are unchanged after the call, a second call gives bit-identical
  results, each gradient has its parameter's shape, dtype and type and owns its memory.

Finite differences are only meaningful where the function is smooth, and generated programs
have kinks (abs, maximum), jumps (branches and masks on data, data-dependent trip counts) and
ties. A numerical disagreement at the drawn inputs is therefore only a suspicion. It becomes a
failure if it shows again at two of three nearby points (every input moved by about 1e-3):
there a gradient mismatch must also be *clean*, finite differences with steps 1e-6 and 1e-5
agreeing with each other but not with srcgrad. A kink or jump near the drawn point makes
the two steps disagree or moves out of reach at the nearby points, while a wrong derivative
rule, a lost contribution or a wrong branch persists at every nearby point (they stay on the
same branches). Autograd's disagreement is discounted where clean finite differences side with
srcgrad (autograd has conventions of its own, e.g. nan for `np.std` of one element).

Forward mode and second order are checked against reverse mode, which the checks above tie to
the original function (`forward`, `second_order`):

- `srcgrad.jvp` along two random unit directions v gives the original's value and the tangent
  `<gradient, v>` (srcgrad's reverse-mode gradient) to about 1e-7 of the sizes of the terms:
  both are exact derivatives of the same code, so only rounding separates them. The tangent must
  be like the value (type, shape, float dtype), the call must leave the inputs and tangents
  alone, and a second call must give identical results.
- `srcgrad.hvp` along v against central differences of srcgrad's own gradients along v (steps
  HVP_STEP and HVP_STEP_CHECK), and the Hessian's symmetry, `<u, H v> = <v, H u>`; for a float
  parameter y, also `grad(grad(f, wrt=y, with_value=False), wrt=y)` against differences of the
  gradient's y component. Each product must be shaped like its parameter.

A disagreement is a suspicion and becomes a failure the same way as above (at two of three
nearby points; for the differenced Hessian, where the two steps agree with each other): second
derivatives are undefined at a kink or jump of the gradient, and generated programs have many.
A missing tangent rule (`NoRuleError`, "no forward-mode (tangent) rule") is not a failure: the
check is skipped and `Outcome.skipped` names the function. So is a container parameter (dict,
list, tuple) `jvp` refuses (the check then runs over the other parameters), and any other proper
refusal of jvp or hvp (see below).

Each program ends in one of four classes (`Outcome.verdict`):

- "pass": every check held;
- "refused": srcgrad declined the program with one of its user-facing errors
  (`UnsupportedSyntaxError`, `NoRuleError`, ...) whose message names the program's file and a
  line of it, is at most REFUSAL_LIMIT characters long and shows no array. That is srcgrad
  working as documented, not a failure;
- "wrong": a number or a property of the result is wrong: a gradient differs from finite
  differences or autograd, a value, jvp or hvp is off, an input array was changed, a gradient
  has the wrong kind or shares memory, two calls differ;
- "internal": anything else srcgrad raised: an exception from inside the generated code, an
  'internal error', a user-facing error without the user's file and line (or too long, or with
  an array's repr in it), a check that never finished.

(And, outside the four: "rejected", "invalid" and "known", see `Outcome`.)

Layout: `run` (`check_program`, `loaded_module`), `outcome` (the classes, proper refusals),
`exact` (the checks without numbers), `case` (the flat vector of differentiated elements, finite
differences), `numeric` (finite differences and autograd, nearby points) and `higher` (forward
mode and second order).
"""

from .outcome import Outcome
from .run import autograd_available, check_program, loaded_module

__all__ = ["Outcome", "check_program", "loaded_module", "autograd_available"]
