"""What the bench's phase modules share (bench/ceiling_phase.py, bench/feature_cost_phase.py)."""


class Phase:
    """A phase run by one of kmsbench.Bench's methods: the bench's state (stack, runner, signer,
    account and key) and kmsbench's ``precheck`` and ``sample_of``, passed in because kmsbench runs
    as ``__main__`` and a phase module importing it would load a second copy."""

    def __init__(self, bench, precheck, sample_of):
        self.bench = bench
        self.precheck = precheck
        self.sample_of = sample_of
        self.cfg = bench.cfg
