"""Random NumPy programs from srcgrad's supported subset, as a hypothesis strategy.

`programs()` draws a `Program`: a module with a main function of a few parameters (arrays and
Python floats, some differentiated, some data) returning a scalar, and helper functions it
calls. Every draw is a valid program by construction, so that nothing is thrown away:

- shapes: the generator knows the shape of every variable and only combines values whose
  shapes fit (broadcasting, matmul's inner dimension, concatenate's other axes, indices in
  range), so no program fails with a NumPy shape error;
- values: each variable carries an upper bound of its absolute value, derived from the bound of
  the inputs (`program.HIGH`) through each operation. An operand that would make a product, a
  power, an `exp` or a matmul grow past `SQUASH_ABOVE` is squashed first (`np.tanh`, ...), and
  every division is by a value kept away from zero (`1 + y * y`, `2 + np.cos(y)`). Loops get a
  budget: a loop-carried variable may not grow in an iteration, and an accumulator grows by at
  most `LOOP_BUDGET` per iteration. So values stay small and finite differences meaningful;
- aliasing: `acc += ...` changes an array in place, which would change every other name for
  the same array. In-place updates are therefore only ever made to accumulators, which the
  generator keeps private: no view of one (`acc.T`, `acc[0]`, `for row in acc`), no second name
  for one (`b = acc`) and no helper argument is ever made of one. (Aliased `+=` is a known
  srcgrad bug, `known.FEATURES["aliased_augassign"]`, generated only when that is allowed.)

Hypothesis shrinks a failing program by its draws: fewer statements, simpler operations (each
choice's first option is the simplest), smaller dimensions. Input values are not drawn here:
`Program.inputs(seed)` makes them from a NumPy generator, see `srcgrad.fuzz.program`.

What each program uses is in `program.features` (names such as "for_range", "helper",
"matmul", "reduction_axis"); `Config.exclude` removes operations or statement kinds by those
names or by their own names (the builder's `_stmt_*` methods and the entries of its tables:
`UNARY`, `BINARY`, `SHAPE_OPS`, ...).

Real programs (autograd's examples) use more than one function of arrays, and `NEW_FEATURES`
names what the generator draws for that, each a feature of its own:

- containers: parameters that are lists, tuples and dicts of arrays (a list of `(W, b)`
  tuples), read through literal keys and indices, loops (`for w in ws`, `enumerate`, `zip`,
  `range(len(ws))`, slices, `.values()`, `.items()`, keys), `list(d.values())[0]`, library calls
  (`np.stack(ws)`, `sum(ws)`, `np.concatenate((ws, vs))`), comprehensions, unpacking, and passed
  whole to a helper or inside a tuple. A `_Container` in the scope stands for one; its items all
  have one shape where loops may carry values through them (`x = np.tanh(x * w)`);
- lists the function builds (`parts = parts + [item]` in a loop), containers from then on;
- the module around the functions: data arrays and numbers at module level that functions read
  (and that helpers' parameters or locals shadow), functions imported by bare name
  (`from numpy import tanh`, `from scipy.special import logsumexp`: `Program.imports`), and the
  main function as a closure made by a factory (reading its names, defaults from it), with
  helpers that are closures too.

Programs that need a container's items to be alike keep them so; bounds are as above (module
data is in [-1, 1]). `Config.focus` makes named features at every chance (with what they need,
`FOCUS`), so that a test finds programs with one feature in a few draws; then no variable is left
unread (a statement that does not count cannot show a bug).

The builder (`builder._Builder`) is one class over one shared state (`base`: the draws, the
features, the names in use), made of a mixin per kind of construct, each in its own module:
`statements` (assignments, branches), `loops` (and comprehensions), `containers`, `helpers` (the
module around the main function), `expressions` (elementwise operations, conditions) and `arrays`
(reductions, products, indexing, shape operations). `shapes` and `scope` hold what it tracks
while it draws; `config` what it may draw.
"""

from .builder import programs
from .config import DEFAULT_CONFIG, IMPLIES, KNOWN_BUGS, MAY_BE_REFUSED, NEW_FEATURES, Config

__all__ = ["Config", "DEFAULT_CONFIG", "IMPLIES", "KNOWN_BUGS", "MAY_BE_REFUSED", "NEW_FEATURES", "programs"]
