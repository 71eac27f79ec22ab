"""Text classification: flair's ``TextClassifier`` over RNN, pooled or transformer document embeddings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from flair_hpo.errors import ConfigurationError
from flair_hpo.tasks.base import ModelTask, register_task
from flair_hpo.tasks.parameters import ModelTrainer, PrefixedParameter
from flair_hpo.tasks.search_space import TaskSearchSpace
from flair_hpo.training.embedding_specs import fresh_copy

if TYPE_CHECKING:  # flair is imported where a model is built, so that declaring a search stays light
    from flair.data import Corpus, Dictionary, Sentence
    from flair.models import TextClassifier

    from flair_hpo.search.settings import StudySettings

DOCUMENT_EMBEDDINGS_KEY = "document_embeddings"


class DocumentRNNEmbeddings(PrefixedParameter):
    WORD_EMBEDDINGS = "embeddings"
    HIDDEN_SIZE = "hidden_size"
    RNN_LAYERS = "rnn_layers"
    RNN_TYPE = "rnn_type"
    BIDIRECTIONAL = "bidirectional"
    REPROJECT_WORDS = "reproject_words"
    REPROJECT_WORDS_DIMENSION = "reproject_words_dimension"
    DROPOUT = "dropout"
    WORD_DROPOUT = "word_dropout"
    LOCKED_DROPOUT = "locked_dropout"


class DocumentPoolEmbeddings(PrefixedParameter):
    WORD_EMBEDDINGS = "embeddings"
    POOLING = "pooling"
    FINE_TUNE_MODE = "fine_tune_mode"


class TransformerDocumentEmbeddings(PrefixedParameter):
    MODEL = "model"
    LAYERS = "layers"
    FINE_TUNE = "fine_tune"
    LAYER_MEAN = "layer_mean"
    CLS_POOLING = "cls_pooling"


_REQUIRED_ARGUMENT: dict[str, PrefixedParameter] = {
    "DocumentRNNEmbeddings": DocumentRNNEmbeddings.WORD_EMBEDDINGS,
    "DocumentPoolEmbeddings": DocumentPoolEmbeddings.WORD_EMBEDDINGS,
    "TransformerDocumentEmbeddings": TransformerDocumentEmbeddings.MODEL,
}


class TextClassification(ModelTask):
    name = "text_classification"
    short_name = "classification"
    label_kind = "sentence labels"
    parameter_groups = (ModelTrainer, DocumentRNNEmbeddings, DocumentPoolEmbeddings, TransformerDocumentEmbeddings)
    word_embedding_parameters = frozenset(
        {DocumentRNNEmbeddings.WORD_EMBEDDINGS, DocumentPoolEmbeddings.WORD_EMBEDDINGS}
    )
    classic_parameters = {
        **{member.name: member for member in ModelTrainer},
        **{
            member.name: member
            for member in DocumentRNNEmbeddings
            if member is not DocumentRNNEmbeddings.WORD_EMBEDDINGS
        },
        "EMBEDDINGS": DocumentRNNEmbeddings.WORD_EMBEDDINGS,
        "TRANSFORMER_MODEL": TransformerDocumentEmbeddings.MODEL,
        "LAYERS": TransformerDocumentEmbeddings.LAYERS,
        "FINE_TUNE": TransformerDocumentEmbeddings.FINE_TUNE,
        "LAYER_MEAN": TransformerDocumentEmbeddings.LAYER_MEAN,
        "CLS_POOLING": TransformerDocumentEmbeddings.CLS_POOLING,
    }
    transformer_fine_tune = {TransformerDocumentEmbeddings.MODEL: TransformerDocumentEmbeddings.FINE_TUNE}
    named_choices = {
        DocumentRNNEmbeddings.RNN_TYPE: ("GRU", "LSTM"),  # flair builds a GRU for any other name
        DocumentPoolEmbeddings.POOLING: ("mean", "max", "min"),
        DocumentPoolEmbeddings.FINE_TUNE_MODE: ("none", "linear", "nonlinear"),
        TransformerDocumentEmbeddings.CLS_POOLING: ("cls", "max", "mean"),
    }
    add_unknown_label = True
    gives_probabilities = True

    @property
    def model_class(self) -> type[TextClassifier]:
        from flair.models import TextClassifier

        return TextClassifier

    def new_search_space(self, label_type: Optional[str] = None) -> TextClassifierSearchSpace:
        return TextClassifierSearchSpace(label_type=label_type)

    def build_model(self, config: dict[str, Any], settings: StudySettings, labels: Dictionary) -> TextClassifier:
        import flair.embeddings
        from flair.models import TextClassifier

        target = config[DOCUMENT_EMBEDDINGS_KEY]
        if target not in _REQUIRED_ARGUMENT:
            raise ConfigurationError(
                f"{DOCUMENT_EMBEDDINGS_KEY} must be one of {sorted(_REQUIRED_ARGUMENT)}, but got {target!r}."
            )
        prefix = target + "."
        arguments = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
        if "embeddings" in arguments:
            embeddings = arguments["embeddings"]
            arguments["embeddings"] = fresh_copy(
                list(embeddings) if isinstance(embeddings, (list, tuple)) else [embeddings]
            )
        return TextClassifier(
            embeddings=getattr(flair.embeddings, target)(**arguments),
            label_dictionary=labels,
            label_type=settings.label,
            multi_label=settings.multi_label,
        )

    def fits_label(self, sentence: Sentence, label: Any) -> bool:
        return label.data_point is sentence

    def is_multi_label(self, corpus: Corpus, label_type: str) -> bool:
        """Whether a sentence of any split carries several labels (dev data may where training data does not)."""
        splits: list[Any] = [corpus.train, corpus.dev, corpus.test]
        return any(len(sentence.get_labels(label_type)) > 1 for split in splits for sentence in split or [])

    def default_space(self, word_embeddings: Any, transformer: Optional[str] = None) -> TextClassifierSearchSpace:
        """An RNN or pooling over ``word_embeddings`` (or a frozen ``transformer``); learning rate, batch size,
        hidden size, dropout and pooling searched."""
        space = TextClassifierSearchSpace()
        space.add_word_embeddings(DocumentRNNEmbeddings.WORD_EMBEDDINGS, options=[[word_embeddings]])
        space.add_parameter(DocumentRNNEmbeddings.HIDDEN_SIZE, options=[64, 128, 256])
        space.add_parameter(DocumentRNNEmbeddings.DROPOUT, low=0.0, high=0.5)
        space.add_word_embeddings(DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[word_embeddings]])
        space.add_parameter(DocumentPoolEmbeddings.POOLING, options=["mean", "max"])
        if transformer is not None:
            space.add_parameter(TransformerDocumentEmbeddings.MODEL, options=[transformer])
            space.add_parameter(TransformerDocumentEmbeddings.FINE_TUNE, options=[False])
        space.add_parameter(ModelTrainer.LEARNING_RATE, low=0.01, high=0.5, log=True)
        space.add_parameter(ModelTrainer.MINI_BATCH_SIZE, options=[16, 32, 64])
        return space

    def finder_configuration(self, word_embeddings: Any) -> dict[str, Any]:
        return {DOCUMENT_EMBEDDINGS_KEY: "DocumentRNNEmbeddings", "DocumentRNNEmbeddings.embeddings": [word_embeddings]}

    def fine_tuning_space(self, transformer: str) -> TextClassifierSearchSpace:
        """``transformer`` fine-tuned with flair's fine-tuning recipe; its pooling (CLS or mean) searched too."""
        space = TextClassifierSearchSpace()
        space.set_fixed(TransformerDocumentEmbeddings.MODEL, transformer)
        space.set_fixed(TransformerDocumentEmbeddings.FINE_TUNE, True)
        space.add_parameter(TransformerDocumentEmbeddings.CLS_POOLING, options=["cls", "mean"])
        space.add_fine_tuning_recipe()
        return space

    def fine_tuning_configuration(self, transformer: str) -> dict[str, Any]:
        return {
            DOCUMENT_EMBEDDINGS_KEY: "TransformerDocumentEmbeddings",
            TransformerDocumentEmbeddings.MODEL.key: transformer,
            TransformerDocumentEmbeddings.FINE_TUNE.key: True,
        }


TEXT_CLASSIFICATION = register_task(TextClassification())


class TextClassifierSearchSpace(TaskSearchSpace):
    """Search space of a text classifier over ``DocumentRNNEmbeddings``, ``DocumentPoolEmbeddings`` and
    ``TransformerDocumentEmbeddings``; with parameters of several, each configuration uses one of them."""

    task = TEXT_CLASSIFICATION

    def _switch(self) -> tuple[str, list[str]]:
        return DOCUMENT_EMBEDDINGS_KEY, sorted({p.target for p in self.parameters_used} & set(_REQUIRED_ARGUMENT))

    def _check_model_inputs(self) -> None:
        _, targets = self._switch()
        if not targets:
            raise ConfigurationError(
                "a text classifier needs document embeddings: add DocumentRNNEmbeddings.WORD_EMBEDDINGS, "
                "DocumentPoolEmbeddings.WORD_EMBEDDINGS or TransformerDocumentEmbeddings.MODEL."
            )
        for target in targets:
            if _REQUIRED_ARGUMENT[target] not in self.parameters_used:
                raise ConfigurationError(
                    f"{target} parameters were given without {target}.{_REQUIRED_ARGUMENT[target].name}."
                )
