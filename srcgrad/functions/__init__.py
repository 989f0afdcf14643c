"""The callables srcgrad returns, built on one abstraction (`compiled.Compiled`: compile, cache
key, specialisation, generated entry point): `GradFunction` (reverse mode), `JvpFunction` and
`VjpFunction` (the two products), and what is built from them (hvp, hessian, jacobian, grad of
a grad). `arguments` checks what a call brings and shapes what it returns; `failures` explains
an exception from generated code."""
