"""A real, small search on TREC-6: TPE over document embeddings and training parameters, GloVe 50-d."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from local_data import GLOVE_50K, REPOSITORY, use_local_data  # noqa: E402


def main() -> None:
    use_local_data("trec_6")
    from flair.datasets import TREC_6
    from flair.embeddings import WordEmbeddings

    from flair_hpo import Orchestrator, parameters, search_spaces, search_strategies
    from flair_hpo.search.progress import ProgressLine

    corpus = TREC_6(sample_missing_splits=False).downsample(
        0.25, downsample_test=False, random_seed=0
    )  # the same every run
    glove = WordEmbeddings(str(GLOVE_50K))

    space = search_spaces.TextClassifierSearchSpace()
    space.add_budget(parameters.Budget.RUNS, 8)
    space.add_budget(parameters.Budget.TIME_IN_MIN, 10)
    space.add_max_epochs_per_training_run(4)
    space.add_evaluation_metric(parameters.EvaluationMetric.MICRO_F1_SCORE)
    space.add_parameter(parameters.ModelTrainer.LEARNING_RATE, low=0.02, high=0.4, log=True)
    space.add_parameter(parameters.ModelTrainer.MINI_BATCH_SIZE, options=[16, 32])
    space.add_word_embeddings(parameters.DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(parameters.DocumentRNNEmbeddings.HIDDEN_SIZE, options=[64, 128, 256])
    space.add_parameter(parameters.DocumentRNNEmbeddings.DROPOUT, low=0.0, high=0.5)
    space.add_word_embeddings(parameters.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(parameters.DocumentPoolEmbeddings.POOLING, options=["mean", "max"])

    base_path = REPOSITORY / "resources" / "results" / "trec6-demo"
    strategy = search_strategies.TPESearch(n_startup_trials=4, seed=1)
    result = Orchestrator(corpus, base_path, space, strategy, callbacks=[ProgressLine()]).optimize()

    print(f"\n{len(result.trials)} trials; best by {result.objective_label}: {result.best_score:.4f}")
    for key, value in (result.best.parameters if result.best else {}).items():
        print(f"  {key}: {value}")
    print(f"outputs in {base_path}: param_selection.txt, trials.tsv, best_parameters.json, best-model.pt, search.log")


if __name__ == "__main__":
    main()
