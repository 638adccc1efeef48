"""Faithfulness: does a filter's picture predict what it does on real images?

A dataset is split into an exemplar part and a disjoint query part
(`split`); each filter's queries are the query images that drive it most
and least (`queries`); a judge independent of the network under test
(`judges`) says whether the filter's picture looks more like each of the
former than each of the latter, a 2-AFC score per filter (`score`), paired
against the same method's picture of another filter and normalised by
natural exemplars. Beside it, sanity checks (`sanity`). Pictures come from
conditions (`conditions`); `measure.measure_faithfulness` runs them all on
the same filters.
"""
