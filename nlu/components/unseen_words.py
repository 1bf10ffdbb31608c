"""A message none of whose words the NLU has ever seen is not understood, whatever DIET says.

DIET always names some intent, often with high confidence, for keyboard mashing such as
"asdfgh jklqwe" or "zzzzz" (seen as greetings, goodbyes, personal questions). This component
remembers every word of the training data (examples, lookup tables, synonyms) and, after the
classifier, turns a message whose every word is unseen into `nlu_fallback`, so the assistant
asks to rephrase instead of answering something nobody asked.

A word counts as seen when it is in the vocabulary, one or two typos away from a word of it
(phone typing: "pelatihn", "sertifkat"), or a seen word with an affix ("pelatihannya",
"diikutkan"). Numbers and punctuation are not words here, so "482913" or "?" are left to the
rest of the pipeline. The rule and its reasons: docs/nlu.md, "Unseen words".
"""

from __future__ import annotations

# Rasa checks the types of a component's methods against the graph: they are written as in
# Rasa's own components (typing.List/Dict/Text).
from typing import Any, Dict, List, Text

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.vocabulary import Vocabulary, words

FALLBACK = "nlu_fallback"
FILE = "vocabulary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnseenWordsFallback(GraphComponent):
    """After the intent classifier: `nlu_fallback` for a message of unseen words only."""

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, vocabulary: Vocabulary
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnseenWordsFallback:
        return cls(model_storage, resource, Vocabulary(()))

    def train(self, training_data: TrainingData) -> Resource:
        known: set[str] = set()
        for example in training_data.training_examples:
            known.update(words(example.get(TEXT) or ""))
        for table in training_data.lookup_tables:
            elements = table.get("elements") or []
            if isinstance(elements, list):
                for element in elements:
                    known.update(words(str(element)))
        for spelling, value in training_data.entity_synonyms.items():
            known.update(words(f"{spelling} {value}"))
        self.vocabulary = Vocabulary(known)
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / FILE, sorted(known))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnseenWordsFallback:
        try:
            with model_storage.read_from(resource) as directory:
                known = rasa.shared.utils.io.read_json_file(directory / FILE)
        except ValueError:  # not trained (e.g. a core-only model): understand everything
            known = []
        return cls(model_storage, resource, Vocabulary(known))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not self.vocabulary.known or self.vocabulary.understood(text):
                continue
            # The classifier's ranking is dropped with its guess: nothing to offer as "did you
            # mean" for words nobody taught it.
            fallback = {INTENT_NAME_KEY: FALLBACK, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, fallback, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [fallback], add_to_output=True)
        return messages
