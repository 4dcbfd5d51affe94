"""One seed for everything, deterministic ops, quiet logs and the book's plot style."""

import os
import re
import sys

SEED_VARIABLE = "KEXUE_SEED"
DEFAULT_SEED = 0

# The book's plot style: readable in five seconds, no chart junk.
PLOT_STYLE = {
    "figure.figsize": (6.4, 3.8),
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "figure.constrained_layout.use": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "image.cmap": "viridis",
}

_state = {"chapter": None, "seed": None}


def read_seed(environ=None):
    """The book's seed: the integer in KEXUE_SEED, or 0 when it is unset or empty."""
    environ = os.environ if environ is None else environ
    raw = environ.get(SEED_VARIABLE, "").strip()
    if raw == "":
        return DEFAULT_SEED
    try:
        seed = int(raw)
    except ValueError:
        raise ValueError(
            f"{SEED_VARIABLE}={raw!r} is not a whole number. "
            f"Set it to an integer such as 0, 1 or 2, or unset it to use {DEFAULT_SEED}."
        ) from None
    if not 0 <= seed < 2**31:
        raise ValueError(
            f"{SEED_VARIABLE}={seed} is out of range: use 0 <= seed < 2**31."
        )
    return seed


def setup(chapter):
    """Prepare a chapter's run and return its seed.

    `chapter` is the post's archive id, such as "6181". Seeds Python, NumPy, TensorFlow and Keras from
    KEXUE_SEED, makes TensorFlow's ops deterministic, silences TensorFlow's logs and applies the book's
    plot style. Claims checked afterwards are recorded under this chapter.
    """
    if not isinstance(chapter, str) or not re.fullmatch(r"\d{4}", chapter):
        raise ValueError(
            f"setup() takes the post's archive id as a string of four digits, such as "
            f"setup('6181'); got {chapter!r}."
        )
    seed = read_seed()
    for name, value in (
        ("TF_CPP_MIN_LOG_LEVEL", "3"),
        ("TF_ENABLE_ONEDNN_OPTS", "0"),
        ("KERAS_BACKEND", "tensorflow"),
    ):
        os.environ.setdefault(name, value)

    try:
        with _stderr_silenced():
            import tensorflow as tf  # its C++ runtime logs "no CUDA driver" lines first
    except ModuleNotFoundError as missing:
        if missing.name != "tensorflow":
            raise
        raise ModuleNotFoundError(
            "The chapters run Keras 3 on TensorFlow, which is not installed here. Install it with "
            "'pip install tensorflow' (or 'tensorflow-cpu'), version 2.19 or later; Colab has it.",
            name="tensorflow",
        ) from None

    import absl.logging
    import keras
    import matplotlib

    absl.logging.set_verbosity(absl.logging.ERROR)
    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(
        seed
    )  # Python's random, NumPy's global RNG and TensorFlow
    tf.config.experimental.enable_op_determinism()
    matplotlib.rcParams.update(PLOT_STYLE)

    _state.update(chapter=chapter, seed=seed)
    return seed


class _stderr_silenced:
    """Send file descriptor 2 to /dev/null for a moment, so that C++ log lines are dropped.

    Python exceptions are unaffected: they propagate as usual and are shown by whoever catches them.
    """

    def __enter__(self):
        sys.stderr.flush()
        self._saved = os.dup(2)
        self._null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(self._null, 2)

    def __exit__(self, *exc):
        os.dup2(self._saved, 2)
        os.close(self._saved)
        os.close(self._null)
        return False


def current_chapter():
    """The chapter id given to setup(); an error if setup() has not run in this kernel."""
    if _state["chapter"] is None:
        raise RuntimeError(
            "No chapter is set up: call kexue.setup('<post id>') in the chapter's first code cell."
        )
    return _state["chapter"]


def current_seed():
    """The seed setup() used, or the one KEXUE_SEED names if setup() has not run."""
    return _state["seed"] if _state["seed"] is not None else read_seed()
