#!/usr/bin/python3
"""Loads a grammar file with nltk.PCFG.fromstring and prints its start symbol, then one line
per production: LHS <tab> repr(probability) <tab> RHS symbols (terminals quoted with ').
Used by tests/test_pcfg.c to check that NLTK reads zipscale's files as zipscale does."""
import sys
import nltk

g = nltk.PCFG.fromstring(open(sys.argv[1]).read())
print(g.start())
for p in g.productions():
    rhs = " ".join(f"'{s}'" if isinstance(s, str) else str(s) for s in p.rhs())
    print(f"{p.lhs()}\t{p.prob()!r}\t{rhs}")
