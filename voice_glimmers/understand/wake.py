"""The wake word: the one owner of which word wakes the assistant and how it is heard.

Two words meet here: the one a person chose (the wake_word setting; None acts on
everything) and the one the language's sentence templates use (wake_word in
sentences/_common.yaml, "glimmer"). Another chosen word works as the template's does:
"sunshine, the moon" is read as "glimmer, the moon". Speech recognition writes a
word a few ways ("glimmer", "glimmers", "glimmer's"); `forms` are all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice_glimmers.core.words import plain_words
from voice_glimmers.language.bundle import Language


def forms_of(word: str) -> frozenset[str]:
    """The ways speech recognition writes a wake word: 'glimmer', 'glimmers', 'glimmer's'."""
    said = " ".join(plain_words(word))
    return frozenset({said, said + "s", said + "es"})


@dataclass(frozen=True)
class WakeWord:
    chosen: str | None  # the person's word, or None: everything is for the assistant
    template: str  # the word the sentence templates use
    greetings: frozenset[str]  # said before it: "hey glimmer"

    @classmethod
    def of(cls, chosen: str | None, language: Language) -> WakeWord:
        chosen = " ".join(plain_words(chosen)) if chosen else None
        return cls(chosen or None, language.intents.wake_word, language.lexicon.wake_greetings)

    @property
    def word(self) -> str:
        """The word replies name ('say glimmer and tell me')."""
        return self.chosen or self.template

    @property
    def is_other(self) -> bool:
        """A word of their own, not the template's."""
        return self.chosen is not None and self.chosen != self.template

    @property
    def forms(self) -> frozenset[str]:
        """Every way either word is written (what is not part of a glimmer's words)."""
        return forms_of(self.template) | (forms_of(self.chosen) if self.chosen else frozenset())

    @property
    def words(self) -> frozenset[str]:
        return frozenset(word for form in self.forms for word in form.split())

    def is_heard_in(self, text: str) -> bool:
        """Whether the chosen word is anywhere in `text` (always, when there is none)."""
        if self.chosen is None:
            return True
        forms = forms_of(self.chosen)
        words = plain_words(text)
        if " " in self.chosen:  # a wake phrase of several words
            joined = " " + " ".join(words) + " "
            return any(f" {form} " in joined for form in forms)
        return any(word in forms for word in words)

    def after(self, text: str) -> str:
        """The words after a leading wake word ('glimmer, what were...' -> 'what were...')."""
        words = plain_words(text)
        if words[:1] and words[0] in self.greetings:
            words = words[1:]  # "hey glimmer, ..."
        for form in self.forms:
            size = len(form.split())
            if " ".join(words[:size]) == form and len(words) > size:
                return " ".join(words[size:])
        return ""

    def is_alone(self, text: str) -> bool:
        """Only the chosen word was said ('sunshine', 'hey sunshine')."""
        heard = [w for w in plain_words(text) if w not in self.greetings]
        return self.chosen is not None and heard == self.chosen.split()
