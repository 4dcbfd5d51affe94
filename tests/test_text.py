"""kexue.text: jieba's dictionary as a table and sentences with their true segmentation."""

import sys
import time

import numpy as np
import pytest

from kexue import text


def test_lexicon_filters_by_length_tag_and_rank():
    nouns = text.lexicon(lengths=(2, 3), tags="n", top=500)
    assert len(nouns) == 500
    assert set(nouns.tags) == {"n"}
    assert nouns.lengths.min() >= 2 and nouns.lengths.max() <= 3
    assert np.all(np.diff(nouns.counts) <= 0), "most frequent first"
    every_noun = text.lexicon(lengths=(2, 3), tags="n")
    assert list(every_noun.words[:500]) == list(nouns.words)
    assert all(text._is_chinese(w) for w in every_noun.words)


def test_lexicon_knows_common_words():
    words = text.lexicon(lengths=(1, 4), top=2000)
    assert {"的", "中国", "我们"} <= set(words.words)
    assert abs(words.probabilities().sum() - 1) < 1e-12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tags": ["n", "zzz"]}, "unknown part-of-speech tags \\['zzz'\\]"),
        ({"lengths": (3, 2)}, "shortest <= longest"),
        ({"lengths": (30, 40)}, "widen the filter"),
        ({"top": 0}, "positive whole number"),
    ],
)
def test_lexicon_refuses_bad_filters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        text.lexicon(**kwargs)


def test_sentences_keep_their_segmentation_and_tags():
    words = text.lexicon(top=3000)
    sentences = words.sentences(200, words=(2, 6), seed=3)
    assert len(sentences) == 200
    for sentence, segmentation, bmes, tags in zip(
        sentences.texts(), sentences.segmentations(), sentences.bmes(), sentences.tags()
    ):
        assert 2 <= len(segmentation) <= 6
        assert "".join(segmentation) == sentence
        assert len(bmes) == len(sentence)
        # Reading the words back from the B/M/E/S tags gives the segmentation.
        cuts = [i + 1 for i, t in enumerate(bmes) if t in "ES"]
        assert [sentence[a:b] for a, b in zip([0] + cuts[:-1], cuts)] == segmentation
        assert tags == [words.tags[list(words.words).index(w)] for w in segmentation]
    assert sentences.words(5) == sentences.segmentations()[5]


def test_sentences_are_seeded():
    words = text.lexicon(top=1000)
    assert words.sentences(50, seed=1).texts() == words.sentences(50, seed=1).texts()
    assert words.sentences(50, seed=1).texts() != words.sentences(50, seed=2).texts()


def test_sentences_follow_the_word_distribution():
    words = text.lexicon(top=50)
    drawn = words.sentences(4000, words=5, seed=0)
    frequency = np.bincount(drawn.word_ids, minlength=len(words)) / len(drawn.word_ids)
    assert np.abs(frequency - words.probabilities()).max() < 0.01
    uniform = words.sentences(4000, words=5, seed=0, weights="uniform")
    assert np.bincount(uniform.word_ids, minlength=50).min() > 0.5 * 4000 * 5 / 50


def test_sentences_are_vectorised():
    words = text.lexicon()
    start = time.perf_counter()
    many = words.sentences(100_000, seed=0)
    many.texts()
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, "positive whole number"),
        ({"count": 5, "words": (4, 2)}, "fewest <= most"),
        ({"count": 5, "weights": "zipf"}, "'frequency' or 'uniform'"),
    ],
)
def test_sentences_refuse_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        text.lexicon(top=100).sentences(**kwargs)


def test_missing_jieba_says_how_to_install_it(monkeypatch):
    text._dictionary_lines.cache_clear()
    monkeypatch.setitem(
        sys.modules, "jieba", None
    )  # what `import jieba` sees when it is absent
    with pytest.raises(ModuleNotFoundError, match=r"kexue\[text\]"):
        text.lexicon()
    monkeypatch.undo()
    text._dictionary_lines.cache_clear()
