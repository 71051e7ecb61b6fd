"""Display text is stripped of control and bidi characters (shared by catalog, inventory and
booking), and the boundary's control-character check."""

from __future__ import annotations

import pytest

from rental.shared.text import BIDI_CONTROLS, clean_block, clean_line, has_control_characters


@pytest.mark.parametrize("bidi", sorted(BIDI_CONTROLS))
def test_bidi_controls_are_removed(bidi):
    assert clean_line(f"Invoice{bidi}fdp.exe") == "Invoicefdp.exe"
    assert clean_block(f"a{bidi}b\nc") == "ab\nc"


def test_control_characters_are_removed_and_whitespace_collapsed():
    assert clean_line("  Scissor\x00 lift\t\t8\u00a0m\r\n") == "Scissor lift 8 m"
    assert clean_line("\x1b[31mred\x1b[0m") == "[31mred[0m"
    assert clean_line(None) == ""


def test_joiners_that_scripts_and_emoji_need_stay():
    assert clean_line("👩\u200d🔧 می\u200cخواهم") == "👩\u200d🔧 می\u200cخواهم"


def test_blocks_keep_line_breaks_and_indentation():
    text = "First line  \r\n\r\n  - indented\x07\rlast\u2028line\n\n"
    assert clean_block(text) == "First line\n\n  - indented\nlast\nline"


@pytest.mark.parametrize("value", ["a\x00b", "\x7f", "\x85", "\ud800", "a\x1bb"])
def test_control_characters_are_detected(value):
    assert has_control_characters(value)
    assert has_control_characters(value, allow_newlines=True)


def test_line_breaks_are_allowed_only_where_asked():
    assert has_control_characters("a\nb")
    assert not has_control_characters("a\r\n\tb", allow_newlines=True)
    assert not has_control_characters("Grüße \u202e ok")  # bidi: cleaned later, not refused
