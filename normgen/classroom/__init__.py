"""A class experiment (issue #29): a teacher opens a class on one experiment, students join by its code,
each is dealt a λ and a seed, and every finished run becomes one dot on a shared chart.

  experiments  the short list of experiments a teacher picks from (model, dataset, λ axis, size, steps, metric)
  store        the SQLite store of classes, members and results (WAL, versioned schema, caps, expiry)
  results      a finished run -> its record -> verified against the member's dealt setting -> posted
  chart        the chart's data (dots, mean and spread per λ, the zoo's seed band, the class's pick) and figure
"""
