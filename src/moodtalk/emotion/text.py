"""Emotion from text with nothing downloaded: a small hand-written English lexicon with negation,
intensifier and punctuation rules.

The word list is moodtalk's own (written for this module, not copied from any lexicon file). Its categories
follow the public word-emotion association lexicons, chiefly the NRC Emotion Lexicon (Mohammad & Turney
2013, "Crowdsourcing a word-emotion association lexicon", Computational Intelligence 29), mapped onto the 8
MEAD classes; contempt, absent from NRC, follows the sneering/belittling vocabulary. The rules are the usual
ones of lexicon-based sentiment analysis (Taboada et al. 2011, "Lexicon-based methods for sentiment
analysis", Computational Linguistics 37; Hutto & Gilbert 2014, VADER): a negation in the three words before
an emotion word weakens it and, for joy, turns it towards sadness; an intensifier ("very") scales it up and a
downtoner ("slightly") down; exclamation marks and words in capitals raise arousal.
"""

from __future__ import annotations

import re

import numpy as np

from moodtalk.types import EMOTIONS

NOT_ENGLISH = "text does not look like English; using neutral"
"""Note returned with the neutral guess when the text is not English."""

NEUTRAL_PRIOR = 0.5
"""Score of neutral before any word counts: one plain emotion word (weight 1) gives it 2/3 of the mass."""
NEGATION_SCOPE = 3
"""Words after a negation that it reaches (Taboada et al. 2011 use the clause; VADER the 3 preceding words)."""
NEGATED_KEEP = 0.25
"""Share of a negated word's weight kept by its own class ("not angry" is still a little about anger)."""
NEGATED_TO_NEUTRAL = 0.5
"""Share moved to neutral."""
NEGATED_JOY_TO_SAD = 0.8
"""Share of negated joy moved to sadness instead of neutral ("not happy" ≈ unhappy; VADER's negation flips
valence)."""
INTENSIFIER_GAIN = 1.5
"""Factor of an emotion word right after an intensifier ("very", "so"), after VADER's +0.293 booster on a
~±2 valence scale, rounded up for short sentences."""
DOWNTONER_GAIN = 0.5
"""Factor after a downtoner ("slightly", "a bit")."""
EXCLAMATION_GAIN = 0.25
"""Per '!' (up to 3) and per word in capitals (up to 3): high-arousal classes grow by this share."""
MAX_EMPHASIS = 3
"""Most exclamation marks / capitalised words that count."""
MIN_WORDS_FOR_LANGUAGE_CHECK = 4
"""Shorter texts ("Wow!", "Great job") are too short to judge by function words and are taken as English."""
MAX_NON_ASCII_LETTERS = 0.3
"""More than this share of non-ASCII letters (Cyrillic, CJK, ...) means the text is not English."""

HIGH_AROUSAL_CLASSES = ("angry", "fearful", "happy", "surprised", "disgusted")
"""Classes raised by exclamation (disgust is raised too: "Gross!" is an exclamation of it)."""


def _parse(block: str) -> dict[str, float]:
    """'word word:0.5 ...' → {word: weight}, weight 1 unless given."""
    out: dict[str, float] = {}
    for item in block.split():
        word, _, weight = item.partition(":")
        out[word] = float(weight) if weight else 1.0
    return out


# Word → weight per class. A word may appear under two classes (e.g. "amazing": happy and surprised).
_LEXICON_TEXT: dict[str, str] = {
    "neutral": """
        calm:0.8 okay:0.6 ok:0.6 fine:0.5 normal:0.8 usual:0.6 ordinary:0.8 regular:0.5 routine:0.6 average:0.5
        meeting:0.3 schedule:0.4 report:0.3 information:0.4 today:0.1 weather:0.3 plan:0.3 usually:0.4
    """,
    "angry": """
        angry anger angrily furious fury rage raging outraged outrage livid enraged infuriated infuriating
        mad:0.8 annoyed:0.8 annoying:0.8 irritated:0.8 irritating:0.8 frustrated:0.8 frustrating:0.8
        frustration:0.8 hate:0.9 hated:0.9 hatred resent:0.8 resentment:0.8 hostile:0.8 yell:0.7 yelled:0.7
        yelling:0.7 shout:0.6 shouted:0.6 shouting:0.6 damn:0.6 dammit:0.8 stupid:0.6 idiot:0.6 unfair:0.7
        injustice:0.7 betrayed:0.8 betray:0.7 liar:0.8 lied:0.7 cheated:0.7 cheat:0.5 fight:0.5 fighting:0.5
        insult:0.8 insulted:0.8 offended:0.7 offensive:0.6 bitter:0.5 grr:0.8 argh:0.7 temper:0.6 upset:0.4
        kill:0.4 punch:0.6 slam:0.5 unacceptable:0.8 disrespect:0.7 ridiculous:0.4 despise:0.3 jerk:0.6
    """,
    "contempt": """
        contempt contemptuous scorn scornful disdain despise:0.8 pathetic ridiculous:0.6 absurd:0.5 laughable
        pitiful:0.5 inferior:0.7 worthless:0.5 beneath:0.4 whatever:0.6 lame:0.6 loser:0.8 fool:0.6 foolish:0.5
        clueless:0.7 incompetent:0.8 useless:0.6 mediocre:0.8 arrogant:0.4 smug:0.6 sneer:0.8 mock:0.6
        mocking:0.6 condescending:0.6 unimpressed:0.8 amateur:0.5 stupid:0.3 idiot:0.5 joke:0.3 petty:0.6
        shameful:0.4 disgraceful:0.5 hypocrite:0.7 snob:0.7 pretentious:0.7
    """,
    "disgusted": """
        disgusted disgusting disgust gross yuck yucky eww ew icky nasty revolting repulsive repulsed sickening
        sickened nauseous:0.8 nausea:0.8 vile filthy dirty:0.5 rotten stink stinks stinking smelly:0.8
        smell:0.2 foul:0.8 vomit puke slimy grimy:0.7 awful:0.4 horrible:0.4 ugly:0.5 rancid putrid
        sick:0.3 abhor:0.8 loathe:0.8 loathing:0.8 moldy:0.8 mouldy:0.8 greasy:0.4 creepy:0.3 horror:0.2
        cockroach:0.6 cockroaches:0.6 maggots:0.8 sewage:0.8 garbage:0.4 trash:0.3 mess:0.3 hair:0.1
    """,
    "fearful": """
        afraid scared scary fear fearful frightened frightening terrified terrifying terrify terrifies terror
        horrified:0.6 horror:0.5 panic panicked panicking anxious anxiety:0.9 nervous:0.8 worried:0.8 worry:0.7
        worrying:0.7 dread:0.9 dreadful:0.4 alarmed:0.8 alarming:0.7 threat:0.7 threatened:0.8
        threatening:0.7 danger:0.8 dangerous:0.7 unsafe:0.7 risk:0.3 help:0.3 emergency:0.6 nightmare:0.7
        creepy:0.6 spooky:0.6 tense:0.5 uneasy:0.7 shaking:0.6 trembling:0.7 hide:0.4 hiding:0.4 escape:0.3
        dark:0.2 ghost:0.5 monster:0.5 phobia:0.8 insecure:0.4 helpless:0.5 desperate:0.4 shocked:0.2
        attack:0.3 scream:0.4 screaming:0.4 screamed:0.4 footsteps:0.4 alone:0.2 intruder:0.7 storm:0.2
    """,
    "happy": """
        happy happiness glad joy joyful joyous delighted delightful pleased cheerful thrilled ecstatic elated
        overjoyed bliss blissful glee gleeful jolly merry excited:0.8 exciting:0.7 wonderful:0.9 great:0.6
        awesome:0.8 fantastic:0.9 amazing:0.6 love:0.8 loved:0.7 lovely:0.8 loving:0.7 adore:0.8 enjoy:0.8
        enjoyed:0.8 enjoying:0.8 enjoyable:0.7 fun:0.7 funny:0.6 smile:0.8 smiling:0.8 laugh:0.8
        laughing:0.8 laughed:0.7 haha:0.8 lol:0.6 celebrate:0.9 celebrating:0.9 celebration:0.9
        congratulations:0.9 congrats:0.9 hooray yay woohoo proud:0.7 grateful:0.7 thankful:0.7 thanks:0.4
        thank:0.4 blessed:0.6 beautiful:0.6 perfect:0.6 nice:0.5 good:0.4 best:0.5 win:0.6 won:0.7
        winning:0.6 success:0.6 successful:0.6 hope:0.3 hopeful:0.5 relieved:0.6 satisfied:0.6 content:0.4
        brilliant:0.7 excellent:0.7 terrific:0.8 marvelous:0.8 marvellous:0.8 superb:0.8 pleasure:0.6
        pleasant:0.6 fortunate:0.5 lucky:0.6 birthday:0.4 holiday:0.4 vacation:0.5 party:0.5 gift:0.4
        sunshine:0.4 incredible:0.3 promoted:0.7 promotion:0.6 passed:0.3 cheers:0.6 cheer:0.6 yes:0.2
        engaged:0.4 married:0.3 wedding:0.5 baby:0.2 friends:0.2 dream:0.3 paradise:0.7
    """,
    "sad": """
        sad sadly sadness unhappy depressed depressing depression miserable sorrow grief grieve grieving mourn
        mourning cry crying cried tears tearful weep weeping sob sobbing heartbroken heartbreaking devastated
        gloomy hopeless despair melancholy tragic tragedy lonely:0.9 lonesome:0.9 alone:0.4 sorry:0.5
        broken:0.5 hurt:0.6 hurts:0.6 pain:0.5 painful:0.6 loss:0.8 lost:0.5 lose:0.4 miss:0.6 missed:0.4
        missing:0.5 died:0.9 dead:0.6 death:0.7 die:0.5 dying:0.6 funeral:0.9 passed:0.2 disappointed:0.8
        disappointing:0.8 disappointment:0.8 regret:0.7 regrets:0.7 unfortunately:0.6 sigh:0.6 upset:0.5
        failed:0.6 failure:0.6 fail:0.5 tired:0.3 exhausted:0.3 goodbye:0.4 farewell:0.5 alas:0.8 pity:0.4
        empty:0.4 worthless:0.4 helpless:0.4 gone:0.4 ended:0.2 rejected:0.6 dumped:0.6 fired:0.5 sick:0.2
        awful:0.3 terrible:0.4 horrible:0.3 poor:0.3 bad:0.3 worst:0.4 rain:0.1 grey:0.1 gray:0.1
    """,
    "surprised": """
        surprised surprise surprising surprisingly shocked:0.8 shock:0.7 shocking:0.7 astonished astonishing
        amazed:0.9 amazing:0.4 astounded stunned speechless omg wow whoa woah unexpected unexpectedly
        sudden:0.5 suddenly:0.5 unbelievable:0.9 incredible:0.5 startled:0.9 oh:0.3 really:0.1 wonder:0.2
        believe:0.2 what:0.1 huh:0.5 gosh:0.7 jeez:0.5 blimey:0.8 whoops:0.4 mindblowing
    """,
}

LEXICON: dict[str, dict[str, float]] = {}
"""word → {class: weight}: moodtalk's own English emotion lexicon (about 500 entries)."""
for _cls, _block in _LEXICON_TEXT.items():
    for _word, _w in _parse(_block).items():
        LEXICON.setdefault(_word, {})[_cls] = _w

PHRASES: dict[str, dict[str, float]] = {
    "can't wait": {"happy": 0.9},
    "cannot wait": {"happy": 0.9},
    "can't believe": {"surprised": 1.0},
    "cannot believe": {"surprised": 1.0},
    "no way": {"surprised": 0.7},
    "oh my god": {"surprised": 1.0},
    "oh my gosh": {"surprised": 1.0},
    "how dare": {"angry": 1.0},
    "fed up": {"angry": 0.8},
    "sick of": {"angry": 0.6, "disgusted": 0.3},
    "sick and tired": {"angry": 0.8},
    "pissed off": {"angry": 1.0},
    "who cares": {"contempt": 0.9},
    "so what": {"contempt": 0.6},
    "as if": {"contempt": 0.5},
    "give me a break": {"contempt": 0.6, "angry": 0.3},
    "rolled my eyes": {"contempt": 0.9},
    "roll my eyes": {"contempt": 0.9},
    "let down": {"sad": 0.7},
    "broke my heart": {"sad": 1.0},
    "over the moon": {"happy": 1.0},
    "on cloud nine": {"happy": 1.0},
    "freaking out": {"fearful": 0.9},
    "watch out": {"fearful": 0.7},
    "throw up": {"disgusted": 0.9},
}
"""Multi-word expressions, matched before single words (their words are then not counted again)."""

EMOTICONS: dict[str, dict[str, float]] = {
    ":)": {"happy": 0.8},
    ":-)": {"happy": 0.8},
    ":d": {"happy": 1.0},
    ":(": {"sad": 0.8},
    ":-(": {"sad": 0.8},
    ":'(": {"sad": 1.0},
    ":o": {"surprised": 0.8},
}
"""Emoticons (matched on the lower-cased text)."""

NEGATIONS = frozenset(
    "not no never nobody nothing neither nor none without hardly barely cannot cant dont doesnt didnt isnt "
    "arent wasnt werent wont wouldnt shouldnt couldnt aint".split()
)
"""Negation words (contractions are also caught by their "n't" ending)."""
INTENSIFIERS = frozenset(
    "very so really extremely totally absolutely incredibly super completely utterly deeply terribly awfully "
    "truly highly seriously insanely such most too quite especially particularly".split()
)
"""Words that strengthen the next emotion word."""
DOWNTONERS = frozenset("slightly somewhat little bit kinda sorta mildly fairly barely rather partly".split())
"""Words that weaken the next emotion word."""
CLAUSE_BREAK = frozenset(".,;:!?") | {"but", "however", "although", "though"}
"""Tokens that end a negation's scope."""

ENGLISH_FUNCTION_WORDS = frozenset(
    "the a an and or but if of to in on at by for with from about as is are was were be been being am i you "
    "he she it we they me him her us them my your his its our their this that these those what which who "
    "whom whose when where why how not no do does did have has had will would can could shall should may "
    "might must there here so very just than then too all any some".split()
)
"""Common English function words: a text of several words with none of them is not English."""

_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|[.,;:!?]")


def emotion_from_text(text: str) -> tuple[np.ndarray, str | None]:
    """Guess the emotion a sentence expresses.

    Args:
        text: any string (a sentence or a few).

    Returns:
        (8,) float64 probabilities over ``EMOTIONS`` (sum 1) and a note for the user or None. Text with no
        emotion word (or empty) gives the neutral one-hot and None; text that does not look like English gives
        the neutral one-hot and ``NOT_ENGLISH``.
    """
    neutral = np.zeros(len(EMOTIONS))
    neutral[EMOTIONS.index("neutral")] = 1.0
    if not text or not text.strip():
        return neutral, None
    if not looks_english(text):
        return neutral, NOT_ENGLISH
    scores = dict.fromkeys(EMOTIONS, 0.0)
    lowered = text.lower()
    for emoticon, weights in EMOTICONS.items():
        for _ in range(lowered.count(emoticon)):
            _add(scores, weights, 1.0)
    tokens = _TOKEN.findall(text)
    words = [t.lower().replace("\u2019", "'") for t in tokens]
    consumed = [False] * len(words)
    for phrase, weights in PHRASES.items():
        parts = phrase.split()
        for i in range(len(words) - len(parts) + 1):
            if words[i : i + len(parts)] == parts and not any(consumed[i : i + len(parts)]):
                _add(scores, weights, _modifier(words, i))
                consumed[i : i + len(parts)] = [True] * len(parts)
    for i, word in enumerate(words):
        word = _lemma(word)
        if consumed[i] or word is None:
            continue
        gain = _modifier(words, i)
        if _negated(words, i):
            for cls, w in LEXICON[word].items():
                scores[cls] += NEGATED_KEEP * w * gain
                if cls == "happy":
                    scores["sad"] += NEGATED_JOY_TO_SAD * w * gain
                else:
                    scores["neutral"] += NEGATED_TO_NEUTRAL * w
        else:
            _add(scores, LEXICON[word], gain)
    emotional = sum(v for k, v in scores.items() if k != "neutral")
    if emotional <= 0.0:
        return neutral, None
    emphasis = min(text.count("!"), MAX_EMPHASIS) + min(
        sum(1 for t in tokens if len(t) >= 2 and t.isupper() and t != "I" and t.isalpha()), MAX_EMPHASIS
    )
    for cls in HIGH_AROUSAL_CLASSES:
        scores[cls] *= 1.0 + EXCLAMATION_GAIN * emphasis
    scores["neutral"] += NEUTRAL_PRIOR
    probs = np.array([scores[c] for c in EMOTIONS], np.float64)
    return probs / probs.sum(), None


def looks_english(text: str) -> bool:
    """Whether ``text`` plausibly is English: mostly ASCII letters and, when it has several words, at least one
    common English function word."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True  # digits/punctuation only: nothing to judge, nothing to warn about
    if sum(1 for c in letters if not c.isascii()) / len(letters) > MAX_NON_ASCII_LETTERS:
        return False
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", text)]
    if len(words) < MIN_WORDS_FOR_LANGUAGE_CHECK:
        return True
    return any(w in ENGLISH_FUNCTION_WORDS for w in words)


SUFFIXES: tuple[str, ...] = ("'s", "s", "es", "ed", "d", "ing", "ly")
"""Endings stripped, in this order, when a word is not in the lexicon ("smiles" → "smile", "worried" kept)."""


def _lemma(word: str) -> str | None:
    """The lexicon entry of ``word``, trying it as is and without a common ending; None if not an emotion word."""
    if word in LEXICON:
        return word
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and word[: -len(suffix)] in LEXICON:
            return word[: -len(suffix)]
    return None


def _add(scores: dict[str, float], weights: dict[str, float], gain: float) -> None:
    for cls, w in weights.items():
        scores[cls] += w * gain


def _modifier(words: list[str], i: int) -> float:
    """Gain of the emotion word at ``i`` from an intensifier or downtoner among the two words before it."""
    gain = 1.0
    for j in range(max(0, i - 2), i):
        if words[j] in INTENSIFIERS:
            gain = INTENSIFIER_GAIN
        elif words[j] in DOWNTONERS:
            gain = DOWNTONER_GAIN
    return gain


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


def _negated(words: list[str], i: int) -> bool:
    """Whether a negation precedes word ``i`` within ``NEGATION_SCOPE`` words of the same clause."""
    for j in range(i - 1, max(-1, i - 1 - NEGATION_SCOPE), -1):
        if words[j] in CLAUSE_BREAK:
            return False
        if _is_negation(words[j]):
            return True
    return False
