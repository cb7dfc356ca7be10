#!/usr/bin/python3
"""Prints the deepest derivation the gzip paper's generator tolerates (used by
tests/test_pcfg.c and docs/pcfg.md). That generator (the paper's public data_gen.py) runs
on NLTK under Python's recursion limit, which it sets to 1000, and derives a symbol by a
recursive function: pick one of the symbol's productions with random.choices, weighted by
each production's prob(), then derive each nonterminal on its right-hand side. So the
depth it reaches is set by how many Python frames one level costs; `expand` below makes the
same calls in the same frames (one frame per level, plus the weights' list comprehension
with prob() and random.choices at the deepest level), called from a function called at
module level (the frames of the paper's dataset() loop). It derives chain grammars
S -> N0 -> ... -> Nk -> '0' (depth k+2: the nonterminals on the path, S included) and
prints the depth of the longest that derives without RecursionError."""
import random
import sys

import nltk

sys.setrecursionlimit(1000)  # as the paper's generator


def expand(productions, symbol):
    """One derivation of `symbol`, recursively, as the paper's generator does it."""
    options = productions[symbol]
    chosen = random.choices(options, weights=[p.prob() for p in options])[0]
    words = []
    for s in chosen.rhs():
        text = s if isinstance(s, str) else expand(productions, s)
        if text != "":
            words.append(text)
    return " ".join(words)


def chain(k):
    """S -> N0 -> ... -> Nk -> '0' as NLTK productions, indexed by left-hand side (an
    nltk.PCFG would compute left-corner closures, quadratic in the chain's length, that a
    derivation never uses)."""
    names = [nltk.Nonterminal("S")] + [nltk.Nonterminal(f"N{i}") for i in range(k + 1)]
    prods = [nltk.ProbabilisticProduction(names[i], [names[i + 1]], prob=1.0)
             for i in range(k + 1)]
    prods.append(nltk.ProbabilisticProduction(names[k + 1], ["0"], prob=1.0))
    return {p.lhs(): [p] for p in prods}, names[0]


def derives(k):
    productions, start = chain(k)
    try:
        expand(productions, start)
        return True
    except RecursionError:
        return False


deepest = 0
for k in range(980, 1010):
    if derives(k):
        deepest = k + 2
print(deepest)
