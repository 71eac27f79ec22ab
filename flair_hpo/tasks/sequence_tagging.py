"""Sequence tagging (NER, POS, ...): flair's ``SequenceTagger`` over word or transformer token embeddings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from flair_hpo.errors import ConfigurationError
from flair_hpo.tasks.base import ModelTask, register_task
from flair_hpo.tasks.parameters import HyperParameter, ModelTrainer, PrefixedParameter
from flair_hpo.tasks.search_space import TaskSearchSpace
from flair_hpo.training.embedding_specs import fresh_copy

if TYPE_CHECKING:  # flair is imported where a model is built, so that declaring a search stays light
    from flair.data import Dictionary, Sentence
    from flair.embeddings import TokenEmbeddings
    from flair.models import SequenceTagger as FlairSequenceTagger

    from flair_hpo.search.settings import StudySettings


class SequenceTagger(HyperParameter):
    EMBEDDINGS = "embeddings"
    HIDDEN_SIZE = "hidden_size"
    USE_CRF = "use_crf"
    USE_RNN = "use_rnn"
    RNN_LAYERS = "rnn_layers"
    RNN_TYPE = "rnn_type"
    BIDIRECTIONAL = "bidirectional"
    DROPOUT = "dropout"
    WORD_DROPOUT = "word_dropout"
    LOCKED_DROPOUT = "locked_dropout"
    REPROJECT_EMBEDDINGS = "reproject_embeddings"


class TransformerWordEmbeddings(PrefixedParameter):
    """Token embeddings of a sequence tagger built from a transformer (instead of ``SequenceTagger.EMBEDDINGS``)."""

    MODEL = "model"
    LAYERS = "layers"
    FINE_TUNE = "fine_tune"
    LAYER_MEAN = "layer_mean"
    SUBTOKEN_POOLING = "subtoken_pooling"
    USE_CONTEXT = "use_context"


_FINE_TUNED_TAGGER: dict[HyperParameter, Any] = {
    TransformerWordEmbeddings.FINE_TUNE: True,
    SequenceTagger.USE_RNN: False,
    SequenceTagger.REPROJECT_EMBEDDINGS: False,
}  # how flair fine-tunes a transformer tagger: a linear layer on the fine-tuned transformer


def token_embeddings(value: Any) -> TokenEmbeddings:
    """One token embedding, or a stack of a list of them (copied when they train)."""
    from flair.embeddings import StackedEmbeddings

    embeddings = fresh_copy(list(value) if isinstance(value, (list, tuple)) else [value])
    return embeddings[0] if len(embeddings) == 1 else StackedEmbeddings(embeddings)


class SequenceTagging(ModelTask):
    name = "sequence_tagging"
    short_name = "tagging"
    label_kind = "token or span labels"
    parameter_groups = (ModelTrainer, SequenceTagger, TransformerWordEmbeddings)
    word_embedding_parameters = frozenset({SequenceTagger.EMBEDDINGS})
    classic_parameters = {
        **{member.name: member for member in ModelTrainer},
        **{member.name: member for member in SequenceTagger},
        "TRANSFORMER_MODEL": TransformerWordEmbeddings.MODEL,
        "LAYERS": TransformerWordEmbeddings.LAYERS,
        "FINE_TUNE": TransformerWordEmbeddings.FINE_TUNE,
        "LAYER_MEAN": TransformerWordEmbeddings.LAYER_MEAN,
        "SUBTOKEN_POOLING": TransformerWordEmbeddings.SUBTOKEN_POOLING,
        "USE_CONTEXT": TransformerWordEmbeddings.USE_CONTEXT,
    }
    transformer_fine_tune = {TransformerWordEmbeddings.MODEL: TransformerWordEmbeddings.FINE_TUNE}
    named_choices = {
        SequenceTagger.RNN_TYPE: ("LSTM", "GRU", "RNN"),
        TransformerWordEmbeddings.SUBTOKEN_POOLING: ("first", "last", "first_last", "mean"),
    }

    @property
    def model_class(self) -> type[FlairSequenceTagger]:
        from flair.models import SequenceTagger as FlairSequenceTagger

        return FlairSequenceTagger

    def new_search_space(self, label_type: Optional[str] = None) -> SequenceTaggerSearchSpace:
        return SequenceTaggerSearchSpace(tag_type=label_type)

    def build_model(self, config: dict[str, Any], settings: StudySettings, labels: Dictionary) -> FlairSequenceTagger:
        from flair.embeddings import TransformerWordEmbeddings as FlairTransformerWordEmbeddings
        from flair.models import SequenceTagger as FlairSequenceTagger

        if SequenceTagger.EMBEDDINGS.key in config:
            embeddings = token_embeddings(config[SequenceTagger.EMBEDDINGS.key])
        else:
            prefix = "TransformerWordEmbeddings."
            arguments = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
            embeddings = FlairTransformerWordEmbeddings(**arguments)
        arguments = {
            p.value: config[p.value] for p in SequenceTagger if p.value in config and p is not SequenceTagger.EMBEDDINGS
        }
        return FlairSequenceTagger(embeddings=embeddings, tag_dictionary=labels, tag_type=settings.label, **arguments)

    def fits_label(self, sentence: Sentence, label: Any) -> bool:
        return label.data_point is not sentence

    def default_space(self, word_embeddings: Any, transformer: Optional[str] = None) -> SequenceTaggerSearchSpace:
        """A BiLSTM(-CRF) over ``word_embeddings`` (or a frozen ``transformer``); learning rate, batch size,
        hidden size, CRF and dropout searched."""
        space = SequenceTaggerSearchSpace()
        if transformer is not None:
            space.add_parameter(TransformerWordEmbeddings.MODEL, options=[transformer])
            space.add_parameter(TransformerWordEmbeddings.FINE_TUNE, options=[False])
        else:
            space.add_parameter(SequenceTagger.EMBEDDINGS, options=[word_embeddings])
        space.add_parameter(SequenceTagger.HIDDEN_SIZE, options=[64, 128, 256])
        space.add_parameter(SequenceTagger.USE_CRF, options=[True, False])
        space.add_parameter(SequenceTagger.DROPOUT, low=0.0, high=0.5)
        space.add_parameter(ModelTrainer.LEARNING_RATE, low=0.02, high=0.5, log=True)
        space.add_parameter(ModelTrainer.MINI_BATCH_SIZE, options=[16, 32])
        return space

    def finder_configuration(self, word_embeddings: Any) -> dict[str, Any]:
        return {SequenceTagger.EMBEDDINGS.key: word_embeddings}

    def fine_tuning_space(self, transformer: str) -> SequenceTaggerSearchSpace:
        """``transformer`` fine-tuned with flair's fine-tuning recipe under a linear layer, as flair fine-tunes
        NER models (no RNN, no reprojection); subtoken pooling and a CRF searched too."""
        space = SequenceTaggerSearchSpace()
        space.set_fixed(TransformerWordEmbeddings.MODEL, transformer)
        for parameter, value in _FINE_TUNED_TAGGER.items():
            space.set_fixed(parameter, value)
        space.add_parameter(TransformerWordEmbeddings.SUBTOKEN_POOLING, options=["first", "mean"])
        space.add_parameter(SequenceTagger.USE_CRF, options=[False, True])
        space.add_fine_tuning_recipe()
        return space

    def fine_tuning_configuration(self, transformer: str) -> dict[str, Any]:
        return {
            TransformerWordEmbeddings.MODEL.key: transformer,
            **{parameter.key: value for parameter, value in _FINE_TUNED_TAGGER.items()},
        }


SEQUENCE_TAGGING = register_task(SequenceTagging())


class SequenceTaggerSearchSpace(TaskSearchSpace):
    """Search space of a sequence tagger (NER, POS, ...): ``SequenceTagger.*``, ``TransformerWordEmbeddings.*``
    and ``ModelTrainer.*`` parameters."""

    task = SEQUENCE_TAGGING

    def __init__(self, tag_type: Optional[str] = None) -> None:
        super().__init__(label_type=tag_type)

    def add_tag_type(self, tag_type: str) -> None:
        self.label_type = tag_type

    def _check_model_inputs(self) -> None:
        used = self.parameters_used
        has_embeddings = SequenceTagger.EMBEDDINGS in used
        has_transformer = TransformerWordEmbeddings.MODEL in used
        if has_embeddings == has_transformer:
            raise ConfigurationError(
                "a sequence tagger needs its token embeddings from exactly one of SequenceTagger.EMBEDDINGS "
                f"and TransformerWordEmbeddings.MODEL, but got {'both' if has_embeddings else 'neither'}."
            )
        if not has_transformer and any(isinstance(p, TransformerWordEmbeddings) for p in used):
            raise ConfigurationError("TransformerWordEmbeddings parameters need TransformerWordEmbeddings.MODEL.")
