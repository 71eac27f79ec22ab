"""What users call: the classic selectors, autotune and the ``flair-hpo`` command, corpora and space files
named on the command line, and the learning-rate finder."""
