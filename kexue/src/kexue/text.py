"""Chinese text with a known ground truth, without a network: jieba's bundled dictionary.

jieba's package ships `dict.txt`, one word a line with a frequency and a part-of-speech tag (about
349,000 words). `lexicon()` reads it into a `Lexicon` (filtered by length, tag and frequency rank);
`Lexicon.sentences()` draws sentences from it, vectorised, and keeps their true segmentation, so a
segmenter, a tagger or a language model can be scored against the words that made each sentence.

Needs the optional extra: pip install "kexue[text]" (the book's environment has it).
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# The four tags of character-based word segmentation: a Single-character word, or the Begin,
# Middle and End characters of a longer one.
BMES = "BMES"


@lru_cache(maxsize=1)
def _dictionary_lines():
    try:
        from importlib.resources import files

        path = files("jieba") / "dict.txt"
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "kexue.text reads the dictionary bundled with jieba, which is not installed. "
            'Install the helper with its text extra: pip install "kexue[text]" (or pip install jieba).'
        ) from None
    words, counts, tags = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, count, tag = line.split(" ")
        words.append(word)
        counts.append(int(count))
        tags.append(tag)
    return (
        np.array(words, dtype=object),
        np.array(counts, dtype=np.int64),
        np.array(tags, dtype=object),
    )


def _is_chinese(word):
    return all("\u4e00" <= ch <= "\u9fff" for ch in word)


@dataclass(frozen=True)
class Lexicon:
    """Words with their frequency and part-of-speech tag, most frequent first."""

    words: np.ndarray  # str, dtype object
    counts: np.ndarray  # int64: jieba's frequency
    tags: (
        np.ndarray
    )  # str, dtype object: jieba's tag ("n" noun, "v" verb, "a" adjective, ...)

    def __len__(self):
        return len(self.words)

    @property
    def lengths(self):
        """Characters in each word."""
        return np.fromiter(
            (len(w) for w in self.words), dtype=np.int64, count=len(self.words)
        )

    def probabilities(self, weights="frequency"):
        """The distribution words are drawn from: by `frequency` (Zipf-like) or `uniform`."""
        if weights == "frequency":
            return self.counts / self.counts.sum()
        if weights == "uniform":
            return np.full(len(self), 1.0 / len(self))
        raise ValueError(f"weights is 'frequency' or 'uniform', not {weights!r}.")

    def sentences(self, count, words=(3, 10), seed=0, weights="frequency"):
        """`count` sentences, each of a number of words drawn uniformly from the range `words`
        (inclusive), every word drawn independently from `probabilities(weights)`.

        All draws happen in two calls to the generator (one for lengths, one for every word), so
        100,000 sentences take well under a second.
        """
        low, high = words if isinstance(words, tuple) else (words, words)
        if not (isinstance(count, (int, np.integer)) and count >= 1):
            raise ValueError(
                f"count is a positive whole number of sentences, not {count!r}."
            )
        if not (1 <= low <= high):
            raise ValueError(
                f"words is (fewest, most) with 1 <= fewest <= most, not {words!r}."
            )
        rng = np.random.default_rng(seed)
        per_sentence = rng.integers(low, high + 1, size=count)
        offsets = np.concatenate([[0], np.cumsum(per_sentence)])
        word_ids = rng.choice(
            len(self), size=offsets[-1], p=self.probabilities(weights)
        )
        return Sentences(self, word_ids, offsets)


@dataclass(frozen=True)
class Sentences:
    """Generated sentences and their true segmentation: sentence i is the words
    `lexicon.words[word_ids[offsets[i]:offsets[i + 1]]]`, written without spaces."""

    lexicon: Lexicon
    word_ids: np.ndarray
    offsets: np.ndarray

    def __len__(self):
        return len(self.offsets) - 1

    def words(self, i):
        """Sentence i as its list of words (its true segmentation)."""
        return list(
            self.lexicon.words[self.word_ids[self.offsets[i] : self.offsets[i + 1]]]
        )

    def segmentations(self):
        """Every sentence as its list of words."""
        all_words = self.lexicon.words[self.word_ids]
        return [
            list(all_words[a:b]) for a, b in zip(self.offsets[:-1], self.offsets[1:])
        ]

    def texts(self):
        """Every sentence as one string, words joined without spaces."""
        return ["".join(words) for words in self.segmentations()]

    def bmes(self):
        """Every sentence's tag string: one of B, M, E, S per character, aligned with texts()."""
        return [
            "".join(_word_tags(len(w)) for w in words) for words in self.segmentations()
        ]

    def tags(self):
        """Every sentence's part-of-speech tags, one per word."""
        all_tags = self.lexicon.tags[self.word_ids]
        return [
            list(all_tags[a:b]) for a, b in zip(self.offsets[:-1], self.offsets[1:])
        ]


@lru_cache(maxsize=64)
def _word_tags(length):
    return "S" if length == 1 else "B" + "M" * (length - 2) + "E"


def lexicon(lengths=(1, 4), tags=None, top=None, chinese_only=True):
    """jieba's dictionary as a `Lexicon`, most frequent word first.

    lengths:      (shortest, longest) word in characters, inclusive.
    tags:         keep only these part-of-speech tags (exact: "n" is common nouns, "nr" names).
    top:          then keep only the `top` most frequent words.
    chinese_only: drop words with any character outside the CJK block (Latin, digits, symbols).
    """
    words, counts, tags_all = _dictionary_lines()
    shortest, longest = lengths
    if not (1 <= shortest <= longest):
        raise ValueError(
            f"lengths is (shortest, longest) with 1 <= shortest <= longest, not {lengths!r}."
        )
    size = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    keep = (size >= shortest) & (size <= longest)
    if chinese_only:
        keep &= np.fromiter(
            (_is_chinese(w) for w in words), dtype=bool, count=len(words)
        )
    if tags is not None:
        tags = [tags] if isinstance(tags, str) else list(tags)
        known = set(tags_all)
        unknown = sorted(set(tags) - known)
        if unknown:
            raise ValueError(
                f"unknown part-of-speech tags {unknown}; jieba's dictionary has {sorted(known)}."
            )
        keep &= np.isin(tags_all, tags)
    if not keep.any():
        raise ValueError(
            f"no word of jieba's dictionary has lengths {lengths} and tags {tags}; widen the filter."
        )
    index = np.flatnonzero(keep)
    index = index[
        np.argsort(-counts[index], kind="stable")
    ]  # most frequent first, ties in file order
    if top is not None:
        if not (isinstance(top, (int, np.integer)) and top >= 1):
            raise ValueError(f"top is a positive whole number of words, not {top!r}.")
        index = index[:top]
    return Lexicon(words=words[index], counts=counts[index], tags=tags_all[index])
