"""`python -m srcgrad.fuzz --minutes N [--seed S]`: a fuzzing campaign against srcgrad.

Runs rounds of a hypothesis test over random programs until the time is up. Each round has its
own seed (S, S+1, ...) and a few dozen programs; when a program fails, hypothesis shrinks it
and the round ends with the minimal failing program, which is recorded and printed at the end.
Rounds are short so that the campaign stops close to its time limit, and so that one bug that
many programs hit does not take the whole campaign (each round finds at most one failure).

Every program's check also checks forward mode (`srcgrad.jvp` against reverse mode; off with
`--no-forward`), and every Nth program's (`--hvp-every N`, default 4; `--hvp` for all, 0 for
none) the Hessian-vector product and, for a float parameter, grad of a grad (see `check`).

Each program ends in a class (see `check`): pass, refused (srcgrad declined it with a proper
user-facing error), WRONG or INTERNAL (the failures). The summary lists programs tried and
checked per minute, the programs per class, per class for each of the features in
`generate.NEW_FEATURES` (containers, module globals, bare-name imports, closures, built lists),
how many were checked per feature and by forward mode and second order, the refusals and the
checks skipped for a missing tangent rule (by message), the failures (each with its minimal
source and the seed of its inputs) and the suspicions dismissed as kinks. `--exclude a,b`
leaves generator features out (e.g. one whose bug a campaign has found already). The exit
status is 1 when something failed, else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from .check import autograd_available, check_program
from .generate import DEFAULT_CONFIG, NEW_FEATURES, Config, programs
from .known import FEATURES as KNOWN_BUGS


class FuzzFailure(AssertionError):
    """A program that srcgrad gets wrong (raised inside the hypothesis test, so it shrinks)."""


@dataclass
class Campaign:
    """Counts over a campaign; only the programs of the generate phase count as tried (the
    shrinker's replays are counted apart)."""

    deadline: float
    tried: int = 0
    rejected: int = 0
    invalid: int = 0
    shrink_steps: int = 0
    autograd_checked: int = 0
    forward_checked: int = 0  # programs whose jvp was compared with reverse mode
    hvp_tried: int = 0  # programs drawn for the second-order check
    hvp_checked: int = 0
    nested_checked: int = 0  # programs whose grad of a grad was checked
    skipped: Counter = field(default_factory=Counter)  # "jvp: no tangent rule for ..." -> programs
    known: Counter = field(default_factory=Counter)  # programs that hit a known bug, by bug
    features: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)  # (round seed, outcome), minimal programs
    verdicts: Counter = field(default_factory=Counter)  # programs per class (Outcome.verdict)
    by_feature: Counter = field(default_factory=Counter)  # (feature, class) -> programs
    refusals: Counter = field(default_factory=Counter)  # a refusal's first line -> programs
    dismissed: list = field(default_factory=list)  # notes about suspicions that did not hold


def run_round(
    campaign: Campaign,
    round_seed: int,
    examples: int,
    config: Config,
    use_autograd: bool,
    known_bugs=True,
    forward=True,
    hvp_every=4,
):
    """One hypothesis run of up to `examples` programs; the minimal failure, if any, recorded.

    The second-order check runs where a drawn number is a multiple of hvp_every, so that it is
    part of the example: hypothesis shrinks it towards 0, keeping the check on while it shrinks.
    (A number from a wide range, drawn before the program: hypothesis draws the ends of a small
    range often, and a draw after a long program is often 0; either way, the share would be
    nearer one half than one in hvp_every.)
    """
    failing = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @seed(round_seed)
    @given(
        pick=st.integers(0, 2**31 - 1),
        program=programs(config),
        input_seed=st.integers(0, 2**32 - 1),
    )
    def trial(program, input_seed, pick):
        if failing:
            campaign.shrink_steps += 1
        elif time.monotonic() > campaign.deadline:
            return  # out of time: finish the round quickly (these programs are not counted)
        second = hvp_every > 0 and pick % hvp_every == 0
        outcome = check_program(
            program,
            input_seed,
            autograd=use_autograd,
            known_bugs=known_bugs,
            forward=forward,
            second_order=second,
        )
        if not failing:
            campaign.tried += 1
            campaign.verdicts[outcome.verdict] += 1
            campaign.by_feature.update((name, outcome.verdict) for name in program.features)
            if outcome.refusal:
                campaign.refusals[outcome.refusal] += 1
            if outcome.status == "rejected":
                campaign.rejected += 1
            elif outcome.status == "known":
                campaign.known.update(outcome.known)
            else:
                campaign.features.update(program.features)
                campaign.autograd_checked += outcome.autograd_checked
                campaign.forward_checked += outcome.forward_checked
                campaign.hvp_tried += second
                campaign.hvp_checked += outcome.hvp_checked
                campaign.nested_checked += outcome.nested_checked
                campaign.skipped.update(set(outcome.skipped))
            campaign.dismissed += [n for n in outcome.notes if n.startswith("dismissed")]
        if not outcome.ok:
            failing.append(outcome)  # the last one recorded is the shrunk, minimal one
            raise FuzzFailure(outcome.report())

    with contextlib.suppress(FuzzFailure):  # hypothesis re-raises the minimal example's failure
        trial()
    if failing:
        outcome = failing[-1]
        if outcome.status == "invalid":
            campaign.invalid += 1
        campaign.failures.append((round_seed, outcome))


def summary(campaign: Campaign, elapsed: float, use_autograd: bool, forward=True, hvp_every=4) -> str:
    checked = campaign.tried - campaign.rejected
    verdicts = campaign.verdicts
    lines = [
        f"srcgrad fuzz: {campaign.tried} programs tried in {elapsed / 60:.1f} min "
        f"({campaign.rejected} rejected as out of range, {checked} checked; "
        f"{campaign.shrink_steps} more runs while shrinking)",
        f"programs checked per minute: {checked / max(elapsed / 60, 1e-9):.0f} (the time includes shrinking)",
        "programs per class (as drawn, before any shrinking): "
        + ", ".join(f"{name} {verdicts[name]}" for name in ("pass", "refused", "wrong", "internal"))
        + " ("
        + ", ".join(f"{name} {verdicts[name]}" for name in ("rejected", "invalid", "known"))
        + ")",
        "autograd oracle: "
        + (
            f"checked {campaign.autograd_checked} programs"
            if use_autograd
            else "not installed (or off), skipped"
        ),
        "forward mode (jvp against reverse mode): "
        + (f"checked {campaign.forward_checked} programs" if forward else "off"),
        "second order (hvp against differenced gradients): "
        + (
            f"checked {campaign.hvp_checked} of {campaign.hvp_tried} programs drawn for it "
            f"({'all' if hvp_every == 1 else f'about one in {hvp_every}'}); "
            f"grad of a grad checked on {campaign.nested_checked}"
            if hvp_every
            else "off"
        ),
    ]
    if campaign.skipped:
        lines.append("checks skipped (programs; a missing tangent rule is not a failure):")
        for reason, count in sorted(campaign.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {count:6}  {reason}")
    lines.append("new features, programs per class as drawn (pass / refused / wrong / internal):")
    for name in NEW_FEATURES:
        counts = [campaign.by_feature[name, verdict] for verdict in ("pass", "refused", "wrong", "internal")]
        lines.append(f"  {name:24} {' / '.join(f'{c:4}' for c in counts)}")
    if campaign.refusals:
        lines.append("refusals (programs; srcgrad declined with a proper error, not a failure):")
        for message, count in campaign.refusals.most_common(12):
            lines.append(f"  {count:6}  {message[:150]}")
    lines.append("programs checked per feature:")
    for name, count in sorted(campaign.features.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {name:20} {count}")
    lines.append(f"suspicions dismissed (kinks, jumps): {len(campaign.dismissed)}")
    for name, count in sorted(campaign.known.items()):
        lines.append(f"known bug {name!r} hit by {count} programs (not counted as failures)")
    lines.append(f"failures: {len(campaign.failures)}")
    for i, (round_seed, outcome) in enumerate(campaign.failures, 1):
        kinds = sorted(outcome.kinds)
        lines.append(
            f"--- failure {i}: {outcome.verdict.upper()} (round seed {round_seed}, kinds {kinds}) ---"
        )
        lines.append(outcome.report())
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m srcgrad.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to run (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="first round's seed (default: from the clock)")
    parser.add_argument("--examples", type=int, default=40, help="programs per round (default 40)")
    parser.add_argument(
        "--include-known-bugs",
        action="store_true",
        help=f"treat known srcgrad bugs as failures and generate their features ({', '.join(KNOWN_BUGS)})",
    )
    parser.add_argument(
        "--exclude",
        default="",
        metavar="A,B",
        help="generator features (or statement kinds, operations) to leave out, comma-separated",
    )
    parser.add_argument("--no-autograd", action="store_true", help="do not use autograd even if installed")
    parser.add_argument("--no-forward", action="store_true", help="do not check forward mode (jvp)")
    parser.add_argument(
        "--hvp-every",
        type=int,
        default=4,
        metavar="N",
        help="check the Hessian-vector product on one program in N on average (default 4; 0: never)",
    )
    parser.add_argument("--hvp", action="store_true", help="the same as --hvp-every 1")
    args = parser.parse_args(argv)
    forward = not args.no_forward
    hvp_every = 1 if args.hvp else max(args.hvp_every, 0)

    config = Config(exclude=frozenset()) if args.include_known_bugs else DEFAULT_CONFIG
    extra = frozenset(name.strip() for name in args.exclude.split(",") if name.strip())
    config = Config(exclude=config.exclude | extra)
    use_autograd = autograd_available() and not args.no_autograd
    first_seed = args.seed if args.seed is not None else int(time.time()) % 1_000_000
    start = time.monotonic()
    campaign = Campaign(deadline=start + args.minutes * 60)
    oracle = "on" if use_autograd else "off"
    second = f"1 program in {hvp_every}" if hvp_every else "off"
    print(
        f"srcgrad fuzz: {args.minutes:g} min from seed {first_seed}; autograd {oracle}; "
        f"forward mode {'on' if forward else 'off'}; hvp {second}",
        flush=True,
    )
    round_seed = first_seed
    while time.monotonic() < campaign.deadline:
        run_round(
            campaign,
            round_seed,
            args.examples,
            config,
            use_autograd,
            not args.include_known_bugs,
            forward,
            hvp_every,
        )
        round_seed += 1
        elapsed = time.monotonic() - start
        print(
            f"[{int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}] {campaign.tried} programs tried, "
            f"{campaign.tried - campaign.rejected} checked ({campaign.forward_checked} jvp, "
            f"{campaign.hvp_checked} hvp), {campaign.verdicts['refused']} refused, "
            f"{len(campaign.failures)} failures",
            flush=True,
        )
    print(summary(campaign, time.monotonic() - start, use_autograd, forward, hvp_every))
    return 1 if campaign.failures else 0


if __name__ == "__main__":
    sys.exit(main())
