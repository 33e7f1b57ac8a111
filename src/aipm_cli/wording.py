"""Message templates: counts with the right plural, articles, ranges and lists that read right.

Every message that says how many of something there are goes through
`count()`, so "1 item" and "2 items" are never written "item(s)".
"""

from __future__ import annotations

_IRREGULAR = {"entry": "entries", "is": "are", "was": "were", "has": "have", "this": "these", "it": "they"}


def plural_of(word: str) -> str:
    """'item' -> 'items', 'entry' -> 'entries', 'is' -> 'are'."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def noun(number: int, word: str, many: str | None = None) -> str:
    """The word as it goes with a number: noun(1, 'item') = 'item', noun(3, 'item') = 'items'."""
    return word if number == 1 else (many or plural_of(word))


def count(number: int, word: str, many: str | None = None) -> str:
    """'1 item', '2 items', '0 items'."""
    return f"{number} {noun(number, word, many)}"


_YOU_SOUND = ("uni", "use", "usa", "usu", "uti", "ure", "eu", "one")


def article(phrase: str) -> str:
    """'a date', 'an expiry date', 'an item', 'a URL'... the indefinite article for a phrase."""
    word = phrase.strip().split(" ", 1)[0]
    if len(word) > 1 and word.isupper():  # an acronym is read letter by letter: an HTML file, a URL
        vowel_sound = word[0] in "AEFHILMNORSX"
    else:
        first = word.lower()
        vowel_sound = first[:1] in ("a", "e", "i", "o", "u") and not first.startswith(_YOU_SOUND)
        vowel_sound = vowel_sound or first.startswith(("hour", "honest", "honour"))
    return f"{'an' if vowel_sound else 'a'} {phrase}"


def either(words: list[str], joiner: str = "or") -> str:
    """'a', 'a or b', 'a, b or c'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {joiner} {words[-1]}"


def span(low: float, high: float, unit: str = "") -> str:
    """'3 study hours' or '3-5 study hours': a range only when its ends differ once rounded."""
    a, b = f"{low:.0f}", f"{high:.0f}"
    number = a if a == b else f"{a}-{b}"
    if not unit:
        return number
    return f"{number} {noun(1 if number == '1' else 2, unit)}"


def listed(ids: list[str], limit: int = 3) -> str:
    """'a, b, c' or 'a, b, c and 4 more'."""
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit:,} more" if len(ids) > limit else "")
