"""What was said, as the assistant acts on it: the request after a wake word, an answer
without its run-up, thinking aloud, a glimmer without the asking.

Speech recognition gives lower-case words without punctuation; these work on that and
on typed text alike, with the words of the language's lexicon. No I/O, no state.
"""

from __future__ import annotations

from datetime import date

from voice_glimmers.core.words import plain_words, tokens
from voice_glimmers.language.intents import Intents
from voice_glimmers.language.lexicon import Lexicon, starts_with
from voice_glimmers.language.registry import Kind
from voice_glimmers.understand.matcher import Match, understand
from voice_glimmers.understand.meaning import Meaning, read_meaning
from voice_glimmers.understand.wake import WakeWord


def understand_said(
    text: str, intents: Intents, wake: WakeWord, *, today: date, week_start: int = 0,
    meaning: Meaning | None = None,
) -> Match | None:
    """What the words ask for, as the assistant acts on them. After a leading wake word,
    a request wins: 'glimmer, stop listening' pauses, and 'glimmer, i have a glimmer'
    asks what it was; neither is a glimmer whose words are 'stop listening'.

    What the templates read only as a glimmer after the wake word is read for its
    meaning too (`meaning`, see understand.meaning): a request the templates did not
    foresee is that request, and words that read as neither are asked about."""
    match = _understand_said(text, intents, wake, today=today, week_start=week_start)
    misheard = _after_misheard(text, intents, wake)
    if misheard and (match is None or intents.registry.kind(match.intent) is Kind.CAPTURE):
        # "limmer is a funny name for a dog": chatter, no glimmer; "limmer stop listening":
        # the rest clearly is for the assistant, so the word was the wake word misheard
        command = understand(misheard, intents, today=today, week_start=week_start)
        kind = intents.registry.kind(command.intent) if command is not None else None
        return command if kind is Kind.REQUEST else None
    rest = wake.after(text)
    if meaning is None or not rest or (match is not None and (
            intents.registry.kind(match.intent) is not Kind.CAPTURE
            or not match.slots.get("text"))):
        return match
    found = read_meaning(rest, str(match.slots["text"]) if match else rest, intents, meaning,
                         today=today, week_start=week_start)
    if found is None:
        return match
    intent, slots, score = found
    if (match is None and intents.registry.kind(intent) is Kind.CAPTURE
            and plain_words(rest)[0] in intents.word_talked_about):
        return None  # "glimmer of hope", "glimmers are ...": the word, not a moment to ask about
    return Match(intent, slots, score, text)


def _after_misheard(text: str, intents: Intents, wake: WakeWord) -> str:
    """The words after a first word that only sounds like the wake word ('limmer'), or ''.
    Then only a request counts: a moment is no sign that the words were for the assistant."""
    found = tokens(text)
    words = [t.word for t in found]
    first = 0
    while first < len(words) and (words[first] in intents.hesitations
                                  or words[first] in wake.greetings):
        first += 1
    if first + 1 >= len(words) or words[first] in wake.forms or (
            intents.misheard.get(words[first]) not in wake.forms):
        return ""
    return text[found[first + 1].start:]


def _understand_said(
    text: str, intents: Intents, wake: WakeWord, *, today: date, week_start: int = 0
) -> Match | None:
    match = understand(text, intents, today=today, week_start=week_start)
    rest = wake.after(text)
    is_capture = match is not None and intents.registry.kind(match.intent) is Kind.CAPTURE
    if rest and (match is None or is_capture):
        command = understand(rest, intents, today=today, week_start=week_start)
        if command is not None and (
            intents.registry.kind(command.intent) is not Kind.CAPTURE
            or not command.slots.get("text")
        ):
            return command
        if match is None and wake.is_other:
            # Another wake word works as the template's does: "sunshine, the moon".
            return understand(f"{wake.template} {rest}", intents, today=today,
                              week_start=week_start)
    if match is None and wake.is_other and wake.is_alone(text):  # "What was it?"
        return understand(wake.template, intents, today=today, week_start=week_start)
    return match


def says_undo(text: str, lexicon: Lexicon) -> bool:
    return not lexicon.undo_words.isdisjoint(plain_words(text))


def as_said(text: str) -> str:
    """Their words as they said them, closed with a full stop for speaking."""
    return text if text[-1:] in (".", "!", "?") else text + "."


def strip_answer(text: str, lexicon: Lexicon) -> str:
    """'um it was the rain' -> 'the rain': the answer to 'What was it?' without its run-up."""
    found = tokens(text)
    first = 0
    while first < len(found) and found[first].word in lexicon.answer_fillers:
        first += 1
    words = [t.word for t in found[first:]]
    opener = starts_with(words, lexicon.answer_openers)
    if opener and len(words) > opener:
        first += opener
    return " ".join(text[found[first].start:].split()) if first < len(found) else ""


def is_thinking(text: str, lexicon: Lexicon) -> bool:
    """Someone still thinking ('hmm', 'let me think'): the question stays open."""
    words = plain_words(text)
    rest = tuple(w for w in words
                 if w not in lexicon.answer_fillers and w not in lexicon.thinking_sounds)
    return bool(words) and (not rest or rest in lexicon.thinking)


LEAD_INS_AT_MOST = 3  # "um, let me think, i suppose, the fire was lit"
TAG_WORDS = 3  # a tag of their own is a word or a few ("family", "day out")
TAG_LETTERS = 40  # and short: it travels in every export


def tag_of(said: str, lexicon: Lexicon, wake_words: frozenset[str] = frozenset()) -> str:
    """'the family tag' -> 'family': the tag they named, or '' when none was (or too many
    words for one)."""
    words = [w for w in plain_words(said) if w not in lexicon.little_words
             and w not in lexicon.tag_words and w not in wake_words]
    tag = " ".join(words)
    return tag if 0 < len(words) <= TAG_WORDS and len(tag) <= TAG_LETTERS else ""


def strip_lead_in(text: str, lexicon: Lexicon) -> str:
    """'please save the dog barking' -> 'the dog barking': the glimmer without the asking.
    Lead-ins may follow each other ("let me think, i suppose the fire was lit")."""
    for _ in range(LEAD_INS_AT_MOST):
        kept = _strip_one_lead_in(text, lexicon)
        if kept == text:
            break
        text = kept
    return text


def _strip_one_lead_in(text: str, lexicon: Lexicon) -> str:
    found = tokens(text)
    words = [t.word for t in found]
    first = 1 if words[:1] and words[0] in lexicon.capture_courtesy else 0
    size = starts_with(words[first:], lexicon.capture_lead_ins)
    if size:
        size += starts_with(words[first + size:], lexicon.capture_courtesy_after)
    if not size or first + size >= len(found):
        return text
    end = found[first + size - 1].end
    rest = text[end:]
    kept = rest.lstrip(" \t\n,:")
    if kept == rest or not kept.strip():
        return text  # "saved the day": a word that only starts like one, not the asking
    return kept
