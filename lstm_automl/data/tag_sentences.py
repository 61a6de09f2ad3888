"""A generated tagging set (``datasets/tagging_generated.csv``): short sentences whose ambiguous
words take their tag from a word further back than a small window reaches.

Each sentence is one to three phrases and a full stop. A phrase is a head (a determiner, tag
DET, or a pronoun, PRON), zero to three adverbs (ADV: "very", "so", ...) and a word: after a
determiner a noun (NOUN), after a pronoun a verb (VERB). Most words are ambiguous ("book",
"watch", "park" are nouns after "the" and verbs after "they"); their tag is fixed by the
phrase's head, which the adverbs push out of reach. The first word is capitalised and the full
stop is its own token (PUNCT), so case and punctuation are part of the tokens as written.

What each tagger can get: the unigram tagger is right on every unambiguous token and guesses
the ambiguous ones (about half right); a window of +-h tokens sees the head only when at most
h - 1 adverbs stand between (the next phrase's head, to the right, is drawn independently and
tells nothing); a tagger that reads the sentence left to right can get every token.
Standard library and NumPy only; seeded, so the shipped file is reproducible (a test checks).
"""

from __future__ import annotations

import numpy as np

DETERMINERS = ("the", "a", "this", "that", "every")
PRONOUNS = ("they", "we", "you", "i")
ADVERBS = ("very", "so", "quite", "really", "rather")
AMBIGUOUS = ("book", "watch", "park", "light", "train", "fly", "play", "run", "cook", "dance")
NOUNS = ("dog", "city", "idea", "car", "song")
VERBS = ("sing", "swim", "wait", "smile", "read")
AMBIGUOUS_SHARE = 0.7  # of the phrase-final words
MAX_ADVERBS = 3
MAX_PHRASES = 3


def _phrase(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    noun = bool(rng.random() < 0.5)
    head = str(rng.choice(DETERMINERS if noun else PRONOUNS))
    adverbs = [str(rng.choice(ADVERBS)) for _ in range(int(rng.integers(0, MAX_ADVERBS + 1)))]
    plain = NOUNS if noun else VERBS
    word = str(rng.choice(AMBIGUOUS if rng.random() < AMBIGUOUS_SHARE else plain))
    tags = ["DET" if noun else "PRON", *["ADV"] * len(adverbs), "NOUN" if noun else "VERB"]
    return [head, *adverbs, word], tags


def tagged_sentences(count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` (sentence, tags) pairs: tokens separated by single spaces, one tag per token."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(count):
        tokens: list[str] = []
        tags: list[str] = []
        for _ in range(int(rng.integers(1, MAX_PHRASES + 1))):
            words, marks = _phrase(rng)
            tokens += words
            tags += marks
        tokens[0] = tokens[0].capitalize()
        rows.append((" ".join([*tokens, "."]), " ".join([*tags, "PUNCT"])))
    return rows
