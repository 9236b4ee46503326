"""The listening loop: audio source -> transcriber -> gate -> dialogue -> speaker.

A worker thread pulls ~0.1 s frames from the source and feeds the transcriber
(Vosk releases the GIL while it decodes); what it hears comes back over a queue
to this thread, which gates it, answers through the dialogue and hands replies to
the speaker's own thread. Half-duplex with a microphone: while the assistant
speaks (and for a short tail) nothing it hears is acted on, except a plain "stop".
The evening offer is made here, on the injected clock, so it is tested without waiting.
A recording read faster than real time is timed by its own audio (`audio_clock`), so it
is heard as it would be at speaking speed.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from voice_glimmers.core.clock import Clock
from voice_glimmers.core.errors import SpeechOutputError
from voice_glimmers.core.events import (
    BargeIn,
    Dropped,
    Event,
    Final,
    Heard,
    Listening,
    Problem,
    Replied,
    Speaking,
    Spoken,
    Stopped,
    Understood,
)
from voice_glimmers.core.heard import Utterance
from voice_glimmers.core.protocols import AudioSource, Speaker, Transcriber
from voice_glimmers.core.words import plain_words
from voice_glimmers.dialogue.conversation import Dialogue, Reply
from voice_glimmers.dialogue.reflection import is_evening
from voice_glimmers.listen.events import Display, EventLog
from voice_glimmers.listen.gate import Gate, is_barge_in

_END = object()
ECHO_SECONDS = 0.3
"""Sound heard this long after the assistant stopped speaking may still be its own echo."""


@dataclass
class Loop:
    source: AudioSource
    transcriber: Transcriber
    dialogue: Dialogue
    speaker: Speaker
    clock: Clock
    gate: Gate
    events: EventLog = field(default_factory=lambda: EventLog(None))
    display: Display = field(default_factory=Display)
    half_duplex: bool = True
    reflection_time: clock_time | None = None
    show_replies: bool = True  # False when the speaker itself prints them (--no-speak)
    audio_clock: bool = False
    """Time is the audio's: clock() at the start plus the seconds heard so far. For a
    recording read faster than real time: the follow-up and question windows (and the
    time a glimmer is saved at) are then what they would be at speaking speed."""

    def __post_init__(self) -> None:
        self._heard: queue.Queue[Any] = queue.Queue()
        self._stopping = threading.Event()
        self._reset_asked = threading.Event()
        self._was_speaking = False
        self._speaking_words: frozenset[str] = frozenset()
        self._offered_on: date | None = None
        self._last_final: float | None = None  # when the utterance being answered was heard
        self._audio_origin = float("inf")  # monotonic time of audio second 0 (live sources)
        self._spoken: list[list[float]] = []  # [start, end] of reply audio, monotonic
        self._started: datetime | None = None  # clock() when listening began
        self._heard_until = 0.0  # seconds of audio the main thread has caught up with
        self.error: BaseException | None = None

    # --- the two threads ----------------------------------------------------

    def _feed(self) -> None:
        """Worker thread: frames in, Partials and Utterances out onto the queue, each with
        the seconds of audio fed when it came (and, on audio time, every frame's seconds)."""
        fed = 0.0
        try:
            for frame in self.source.frames():
                if self._stopping.is_set():
                    break
                if not frame:  # the sound broke off and came back: nothing runs on across it
                    self.transcriber.reset()
                    self._audio_origin = time.monotonic() - fed
                    continue
                if self._reset_asked.is_set():
                    self._reset_asked.clear()
                    self.transcriber.reset()
                fed += len(frame) / 32000  # 16 kHz, 16-bit mono
                self._audio_origin = min(self._audio_origin, time.monotonic() - fed)
                for heard in self.transcriber.accept(frame):
                    self._heard.put((heard, time.monotonic(), fed))
                if self.audio_clock:
                    self._heard.put((None, time.monotonic(), fed))
            for heard in self.transcriber.flush():
                self._heard.put((heard, time.monotonic(), fed))
        except BaseException as err:  # handed to the main thread, which reports it
            self.error = err
        finally:
            self._heard.put(_END)

    def run(self) -> None:
        """Listen until the source ends or stop() is called; then finish speaking."""
        self._started = self.clock()
        worker = threading.Thread(target=self._feed, name="voice-glimmers-hearing", daemon=True)
        worker.start()
        self.display.line("listening", self._listening_hint())
        self._emit(Listening(self.gate.wake_word))
        try:
            while not self._stopping.is_set():
                # Poll faster while speaking, so the end of speech is noticed promptly.
                wait = 0.01 if self._was_speaking else 0.05
                try:
                    item = self._heard.get(timeout=wait)
                except queue.Empty:
                    item = None
                if item is _END:
                    break
                if item is not None:
                    heard, heard_at, self._heard_until = item
                    if heard is not None:
                        self._hear(heard, heard_at, self._now())
                self._tick(self._now())
        finally:
            self._stopping.set()
            self.source.close()
            worker.join(timeout=3)
        try:
            self.speaker.wait(timeout=60)
        except SpeechOutputError as err:
            self.display.line("problem", str(err))
        self._tick(self._now())
        self._emit(Stopped())
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        """Ask the loop to end after what it is doing now (safe from a signal handler)."""
        self._stopping.set()

    # --- inside -------------------------------------------------------------

    def _emit(self, event: Event, **extra: Any) -> None:
        """An event with `audio_s`: the seconds of audio heard when it was emitted (a final's
        delay after its last word is measured on recordings as it is live)."""
        self.events.emit(event, **extra, audio_s=round(self._heard_until, 3))

    def _now(self) -> datetime:
        if self.audio_clock and self._started is not None:
            return self._started + timedelta(seconds=self._heard_until)
        return self.clock()

    def _listening_hint(self) -> str:
        wake = self.gate.wake_word
        return f"say '{wake}, ...' when you'd like me" if wake else "listening to everything"

    def _hear(self, heard: Any, heard_at: float, now: datetime) -> None:
        """One Partial or Utterance; `heard_at` is when the transcriber gave it (monotonic)."""
        if not isinstance(heard, Utterance):  # a Partial
            self._emit(Heard(heard.text))
            self.display.partial(heard.text)
            return
        self._last_final = heard_at
        words = [{"word": w.word, "conf": round(w.conf, 3), "start": round(w.start, 3),
                  "end": round(w.end, 3)} for w in heard.words]
        self._emit(Final(heard.text, round(heard.confidence, 3),
                                      round(heard.start, 3), round(heard.end, 3), words))

        def crisis() -> bool:  # lists, then the sentence model: only for words meant for us
            return self.dialogue.screen.is_danger(heard.text)

        if self.half_duplex and (self.speaker.is_speaking() or self._while_speaking(heard)):
            if self._named_us(heard.text) and crisis():
                # Never our own words (they are never saved or said): stop and answer.
                self.speaker.stop()
                self._say(self.dialogue.respond(heard.text, now, source="voice"), now)
            elif (is_barge_in(heard.text, self.dialogue.language.lexicon, self.gate.wake)
                  and self.dialogue.language.lexicon.barge_in.isdisjoint(self._speaking_words)):
                self.speaker.stop()
                self.dialogue.interrupted(now)
                self._emit(BargeIn())
                self.display.line("stopped", "(you said stop)")
            else:
                self._drop("speaking")
            return
        match = self.dialogue.understand(heard.text, now)
        # Words of danger are always answered when they are meant for us, even while paused
        # or speaking (if they name us) or when they match no command.
        if self.dialogue.paused:
            resume = match is not None and match.intent == "resume_listening"
            if not resume and not (self._named_us(heard.text) and crisis()):
                self._drop("paused")
                return
        elif not self.gate.admits(heard.text, now):
            self._drop("not for me")
            return
        elif (match is None and not self.dialogue.waiting and not self._named_us(heard.text)
              and not crisis()):
            self._drop("no intent")  # talk in the room, heard in an open window
            return
        self.display.words("heard", heard.text)
        understood = match.to_dict() if match else {"text": heard.text, "intent": None}
        self._emit(Understood(**understood))
        reply = self.dialogue.respond(heard.text, now, match=match,
                                      confidence=heard.confidence, source="voice")
        self._say(reply, now)

    def _while_speaking(self, heard: Any) -> bool:
        """Did this utterance's audio overlap our own reply (so it may be our own voice)?"""
        start = self._audio_origin + heard.start
        end = self._audio_origin + heard.end
        return any(start < e + ECHO_SECONDS and end > s for s, e in self._spoken[-10:])

    def _speak(self, text: str) -> None:
        """Hand a reply to the speaker; a speaker that fails is reported, not fatal."""
        try:
            self.speaker.say(text)
        except SpeechOutputError as err:
            self.display.line("problem", str(err))  # once while it is away; still tried
            self._emit(Problem(str(err)))

    def _named_us(self, text: str) -> bool:
        return self.gate.wake_word is not None and self.gate.has_wake_word(text)

    def _drop(self, reason: str) -> None:
        """Not meant for us: forget it (the event carries no words, the screen lets it go)."""
        self._emit(Dropped(reason))
        self.display.let_go()

    def _say(self, reply: Reply, now: datetime) -> None:
        if reply.problem:
            self.display.line("problem", reply.problem)
            self._emit(Problem(reply.problem))
        if not reply.parts:
            return
        if reply.intent == "reflect":
            self._offered_on = self.dialogue.store.day_of(now)
        since_final = None
        if self._last_final is not None:
            since_final = round((time.monotonic() - self._last_final) * 1000, 1)
        self._emit(Replied(reply.text, reply.intent,
                                        reply.saved.id if reply.saved else None, since_final))
        self._speaking_words = frozenset(plain_words(reply.text))
        for i, part in enumerate(reply.parts):
            if self.show_replies:
                self.display.words("said", part)
            self._speak(part)
            if i < len(reply.pauses) and reply.pauses[i]:
                self.speaker.pause(reply.pauses[i])  # room to stay with it (speaking, to the gate)
        self.gate.open_after_reply(now, question=reply.expects_answer)

    def _tick(self, now: datetime) -> None:
        """Between utterances: notice the end of speech, expire questions, offer the evening."""
        speaking = self.speaker.is_speaking()
        if self._was_speaking and not speaking:
            self.dialogue.spoken(now)  # a question's time to be answered starts now
            self.gate.open_after_reply(now, question=self.dialogue.waiting)
            if self.half_duplex:
                self._reset_asked.set()  # forget our own voice, half-heard
        self._was_speaking = speaking
        if speaking:
            return
        if self.dialogue.expire(now):
            self.gate.close()
        self._offer_evening(now)

    def _offer_evening(self, now: datetime) -> None:
        if self.reflection_time is None or self.dialogue.paused or self.dialogue.waiting:
            return
        day = self.dialogue.store.day_of(now)
        again = self.dialogue.evening_again_at
        if again is not None and now >= again:  # they said "later": once more
            if self.dialogue.store.day_of(again) == day:
                self._last_final = None
                self._say(self.dialogue.offer_reflection(now, again=True), now)
            else:  # the evening is over
                self.dialogue.evening_again_at = None
            return
        if self._offered_on == day:
            return
        if is_evening(now, self.reflection_time):
            self._offered_on = day
            self._last_final = None  # not an answer to anything heard
            self._say(self.dialogue.offer_reflection(now), now)

    def speech_event(self, event: Event) -> None:
        """Speaker callback (speech thread): speaking/spoken times into the event log."""
        if isinstance(event, Speaking):
            heard_at, self._last_final = self._last_final, None  # the first audio answers it
            since = None if heard_at is None else round((event.t - heard_at) * 1000, 1)
            self._spoken.append([event.t, float("inf")])
            self._emit(event, ms_since_final=since)
            return
        if isinstance(event, Spoken) and self._spoken:
            self._spoken[-1][1] = event.t
        self._emit(event)
