#!/usr/bin/python3
"""Loads each grammar file named on the command line with nltk.PCFG.fromstring and prints
its start symbol, then one line per production: LHS <tab> repr(probability) <tab> RHS
symbols (terminals quoted with '), then a line "=". Used by tests/test_pcfg.c to check that
NLTK reads zipscale's files as zipscale does (one Python start for several files)."""
import sys
import nltk

for path in sys.argv[1:]:
    g = nltk.PCFG.fromstring(open(path).read())
    print(g.start())
    for p in g.productions():
        rhs = " ".join(f"'{s}'" if isinstance(s, str) else str(s) for s in p.rhs())
        print(f"{p.lhs()}\t{p.prob()!r}\t{rhs}")
    print("=")
