"""``refbook.overlay.Overlay``: a dictionary changed without copying it, each version
reading as the dictionary it stands for while later versions are changed."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from refbook import overlay
from refbook.overlay import Overlay

OPS = st.lists(
    st.lists(st.tuples(st.booleans(), st.integers(0, 12), st.integers()), max_size=6),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(0, 12), st.integers()), OPS)
def test_each_version_reads_as_the_dictionary_it_stands_for(base, versions):
    """Versions made one from another (``edited``, folded into a new base when the
    changes are many), each changed by puts and deletions: every one reads as a plain
    dictionary changed alike, also after later versions were made and changed."""
    saved_fold = overlay.FOLD_AT
    overlay.FOLD_AT = 3  # (folding happens in these short runs too)
    try:
        now: Overlay[int, int] = Overlay(defaultdict(int, base))
        plain = dict(base)
        made = [(now, dict(plain))]
        for ops in versions:
            now, plain = now.edited(), dict(plain)
            for put, key, value in ops:
                if put:
                    now[key] = plain[key] = value
                elif key in plain:
                    assert now.pop(key) == plain.pop(key)
                else:
                    assert now.pop(key, None) is None and key not in now
            made.append((now, dict(plain)))
        for version, expected in made:
            assert dict(version) == expected and len(version) == len(expected)
            assert all(version.get(k) == expected.get(k) for k in range(13))
            assert all((k in version) == (k in expected) for k in range(13))
        assert dict(made[0][0].base) == base  # (the base is never changed, nor added to)
    finally:
        overlay.FOLD_AT = saved_fold
