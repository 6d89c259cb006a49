"""Tests of the lexicon-based text emotion classifier (``moodtalk.emotion.text``)."""

from __future__ import annotations

import numpy as np
import pytest

from moodtalk.emotion.text import NOT_ENGLISH, emotion_from_text, looks_english
from moodtalk.types import EMOTIONS

# A small self-made test set (written by hand for moodtalk, not from any corpus): 48 sentences, 6 per class,
# with negations. Expected labels are the writer's own judgement. The lexicon was written by the same person,
# so the accuracy on it is optimistic for real text.
TEST_SET: tuple[tuple[str, str], ...] = (
    ("The meeting is scheduled for three o'clock.", "neutral"),
    ("Please put the report on my desk.", "neutral"),
    ("The train leaves from platform four.", "neutral"),
    ("I am not angry, just a little tired of waiting.", "neutral"),
    ("We usually have lunch at noon.", "neutral"),
    ("The store closes at nine on weekdays.", "neutral"),
    ("I am so angry I could scream!", "angry"),
    ("How dare you speak to me like that?", "angry"),
    ("This is completely unfair and I'm furious about it.", "angry"),
    ("Stop lying to me, I hate it when you do that!", "angry"),
    ("I'm really fed up with your excuses.", "angry"),
    ("He broke my phone and I am livid.", "angry"),
    ("Oh please, that plan is pathetic.", "contempt"),
    ("Whatever, your opinion is laughable.", "contempt"),
    ("He is such an incompetent fool.", "contempt"),
    ("Who cares what those clueless people think.", "contempt"),
    ("I rolled my eyes at his mediocre little speech.", "contempt"),
    ("They think they are better than us, how pathetic.", "contempt"),
    ("Ew, this sandwich is disgusting.", "disgusted"),
    ("The kitchen smells rotten and the sink is filthy.", "disgusted"),
    ("That is so gross, I think I'm going to throw up.", "disgusted"),
    ("There were maggots in the garbage, yuck.", "disgusted"),
    ("The bathroom was nasty and revolting.", "disgusted"),
    ("I find the way he chews absolutely repulsive.", "disgusted"),
    ("I'm scared of what might happen tonight.", "fearful"),
    ("Please help me, someone is following me!", "fearful"),
    ("I'm so nervous about the surgery tomorrow.", "fearful"),
    ("The noises in the basement terrify me.", "fearful"),
    ("I'm worried that they will never come back.", "fearful"),
    ("We were terrified when the lights went out.", "fearful"),
    ("I'm so happy to see you again!", "happy"),
    ("We won the championship, this is the best day ever!", "happy"),
    ("Thank you so much, I love this gift.", "happy"),
    ("What a wonderful surprise party, I'm delighted.", "happy"),
    ("I can't wait for our holiday next week!", "happy"),
    ("She laughed and smiled all evening.", "happy"),
    ("I miss my grandmother so much since she died.", "sad"),
    ("I'm not happy about how things ended.", "sad"),
    ("He cried alone in his room all night.", "sad"),
    ("It is heartbreaking to say goodbye.", "sad"),
    ("I feel lonely and hopeless these days.", "sad"),
    ("Unfortunately we lost the house in the fire.", "sad"),
    ("Wow, I did not expect that at all!", "surprised"),
    ("I can't believe you are here!", "surprised"),
    ("What? She is pregnant? That's unbelievable!", "surprised"),
    ("Oh my god, look at the size of that cake!", "surprised"),
    ("I was shocked to hear the news.", "surprised"),
    ("Whoa, that came out of nowhere.", "surprised"),
)


def _label(text: str) -> str:
    probs, _ = emotion_from_text(text)
    return EMOTIONS[int(np.argmax(probs))]


def test_test_set_has_every_class() -> None:
    assert len(TEST_SET) >= 40
    assert {label for _, label in TEST_SET} == set(EMOTIONS)


def test_accuracy_on_self_made_set() -> None:
    hits = [_label(text) == label for text, label in TEST_SET]
    # Measured 0.979 (47/48; 45/48 before two lexicon/negation fixes made while writing it); the floor leaves
    # room for lexicon edits without hiding a collapse.
    assert np.mean(hits) >= 0.75


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I am so happy today.", "happy"),
        ("This makes me sad.", "sad"),
        ("I am furious with you.", "angry"),
        ("That smell is disgusting.", "disgusted"),
        ("I am afraid of the dark.", "fearful"),
        ("Wow, what a surprise!", "surprised"),
        ("Your work is pathetic and mediocre.", "contempt"),
        ("The bus arrives at noon.", "neutral"),
    ],
)
def test_each_class(text: str, label: str) -> None:
    assert _label(text) == label


def test_output_is_a_distribution() -> None:
    for text in ("I love it!", "", "The table is brown.", "Je ne sais pas ce que tu veux dire."):
        probs, _ = emotion_from_text(text)
        assert probs.shape == (len(EMOTIONS),)
        assert np.all(probs >= 0) and np.isfinite(probs).all()
        assert probs.sum() == pytest.approx(1.0)


def test_negation_turns_joy_towards_sadness() -> None:
    happy = EMOTIONS.index("happy")
    plain, _ = emotion_from_text("I am happy.")
    negated, _ = emotion_from_text("I am not happy.")
    assert negated[happy] < plain[happy]
    assert _label("I am not happy.") == "sad"


def test_negation_of_anger_is_calm() -> None:
    angry = EMOTIONS.index("angry")
    assert emotion_from_text("I'm not angry at all.")[0][angry] < emotion_from_text("I'm angry.")[0][angry]
    assert _label("I'm not angry at all.") == "neutral"


def test_negation_stops_at_clause_break() -> None:
    # "not" belongs to the first clause; "happy" in the second is not negated.
    assert _label("It was not easy, but I am happy now.") == "happy"


def test_intensifier_and_exclamation_strengthen() -> None:
    happy = EMOTIONS.index("happy")
    base = emotion_from_text("I am happy.")[0][happy]
    assert emotion_from_text("I am very happy.")[0][happy] > base
    assert emotion_from_text("I am happy!!!")[0][happy] > base
    assert emotion_from_text("I am slightly happy.")[0][happy] < base


def test_no_match_is_neutral() -> None:
    probs, note = emotion_from_text("The table is made of oak.")
    assert note is None
    assert probs[EMOTIONS.index("neutral")] == 1.0


def test_empty_string() -> None:
    for text in ("", "   ", "?!"):
        probs, note = emotion_from_text(text)
        assert note is None
        assert probs[EMOTIONS.index("neutral")] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Ich bin heute sehr glücklich und freue mich auf morgen.",
        "Estoy muy contento con el resultado final.",
        "Je suis très heureux de te voir ici.",
        "Я очень рад тебя видеть.",
        "今日はとても嬉しいです。",
    ],
)
def test_non_english_is_neutral_with_note(text: str) -> None:
    probs, note = emotion_from_text(text)
    assert note == NOT_ENGLISH
    assert probs[EMOTIONS.index("neutral")] == 1.0


def test_short_english_is_english() -> None:
    assert looks_english("Wow!")
    assert looks_english("Great job")
    assert looks_english("12345")
