#!/usr/bin/python3
"""Prints the deepest derivation the gzip paper's generator tolerates: imports the peer
(shared/peers/pcfg_peer.py, which sets Python's recursion limit to 1000) from the directory
in argv[1] and derives chain grammars S -> N0 -> ... -> Nk -> '0' (depth k+2: nonterminals
on the path, S included) from a function called at module level, the same frame layout as
the peer's dataset() -> derive(). Used by tests/test_pcfg.c and docs/pcfg.md."""
import sys
sys.path.insert(0, sys.argv[1])
import pcfg_peer as peer  # sets sys.setrecursionlimit(1000)
import nltk


class Chain:
    """S -> N0 -> ... -> Nk -> '0' as NLTK productions, with the two things derive() uses
    (start() and _lhs_index): nltk.PCFG's constructor computes left-corner closures,
    quadratic in a chain's length, and derive() never looks at them."""

    def __init__(self, k):
        N = [nltk.Nonterminal("S")] + [nltk.Nonterminal(f"N{i}") for i in range(k + 1)]
        prods = [nltk.ProbabilisticProduction(N[i], [N[i + 1]], prob=1.0) for i in range(k + 1)]
        prods.append(nltk.ProbabilisticProduction(N[k + 1], ["0"], prob=1.0))
        self._lhs_index = {p.lhs(): [p] for p in prods}
        self._start = N[0]

    def start(self):
        return self._start


def derives(g):
    try:
        peer.derive(g, g.start())
        return True
    except RecursionError:
        return False


deepest = 0
for k in range(980, 1010):
    if derives(Chain(k)):
        deepest = k + 2
print(deepest)
