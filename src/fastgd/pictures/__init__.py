"""Pictures with matplotlib, an optional extra (pip install "fastgd[plot]"): learning curves,
weights, confusion, mistakes, one page of report, a descent. Each on a matplotlib Figure object,
never through pyplot (plots)."""
