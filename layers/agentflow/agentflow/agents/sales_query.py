"""Deal filters from a plain-English request: "Find Q4 deals over $100K in Negotiation".

A small deterministic parser, not a model: it recognises

* a close period: a calendar quarter ("Q4", "Q4 2027", "Q1'27", "2027 Q3", "fourth quarter",
  "this/next/last quarter"), a month ("closing in November", "Nov 2026", "this/next month"), a month
  range ("between October and December") or a year ("in 2027", "this/next year");
* a minimum amount ("over $100K", "at least 250,000", "$1.2M+", "more than 1.5 million", or a bare
  currency amount such as "$100K deals"); maximums ("under $50K") cannot be filtered on and are
  reported as ignored;
* a stage, by the CRM's known stage names matched case-insensitively as whole words: the full name
  ("Closed Won") or, for Salesforce-style "Negotiation/Review" names, the part before the slash.

Quarters and months without a year mean the current year, as ``close_quarter`` without
``close_year`` always has. :func:`resolve_filters` merges what the text says with an agent's explicit
config fields, which take precedence field by field, and records where each filter came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

from agentflow.connectors.base import OpportunityQuery

Quarter = Literal["Q1", "Q2", "Q3", "Q4"]
Source = Literal["config", "query", "default"]

# Salesforce's standard opportunity stages: the stage vocabulary when the CRM cannot list its own.
SALESFORCE_STAGES: tuple[str, ...] = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)

_QUARTERS: tuple[Quarter, ...] = ("Q1", "Q2", "Q3", "Q4")
_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)  # fmt: skip
# Month words that are also ordinary words ("deals that may close", "Jan from procurement"): they
# count only after a word that introduces a date, or with a year.
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar", "jan"})
_DATE_LEAD = re.compile(r"(?:\bin|\bduring|\bclosing|\bcloses|\bclose|\bfor|\bthroughout|\bof)\s+$", re.I)
_EN_DASH = "\u2013"
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_RELATIVE = {"this": 0, "current": 0, "next": 1, "last": -1, "previous": -1}

_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:(?P<year>20\d{2})|['\u2019](?P<yy>\d{2}))"
_QUARTER_PATTERNS = (
    re.compile(r"\b(?:fy\s*)?(?P<year>20\d{2})\s*[-/]?\s*q(?P<q>[1-4])\b", re.I),
    re.compile(rf"\bq(?P<q>[1-4])(?:(?:\s+of\s+|\s*[-/,]?\s*)(?:fy\s*)?{_YEAR})?(?![\w])", re.I),
    re.compile(
        r"\b(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+(?:of\s+)?(?P<year>20\d{2}))?\b",
        re.I,
    ),
)
_RELATIVE_QUARTER = re.compile(r"\b(?P<rel>this|current|next|last|previous)\s+quarter\b", re.I)
_MONTH_RANGE = re.compile(
    rf"\b(?:between|from)\s+(?P<m1>{_MONTH})(?:\s+(?P<y1>20\d{{2}}))?\s+(?:and|to|through|thru|until|-)\s+"
    rf"(?P<m2>{_MONTH})(?:\s+(?P<y2>20\d{{2}}))?(?![\w])",
    re.I,
)
_SINGLE_MONTH = re.compile(rf"\b(?P<m>{_MONTH})(?:\s*,?\s+(?P<year>20\d{{2}}))?(?![\w])", re.I)
_RELATIVE_MONTH = re.compile(r"\b(?P<rel>this|current|next|last|previous)\s+month\b", re.I)
_RELATIVE_YEAR = re.compile(r"\b(?P<rel>this|current|next|last|previous)\s+year\b", re.I)
_YEAR_ONLY = re.compile(r"\b(?:in|during|for|closing(?:\s+in)?|fy)\s*(?P<year>20\d{2})\b", re.I)

_NUMBER = r"(?P<num{n}>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE = r"(?:\s*(?P<scale{n}>thousand|million|billion|mm|bn|mil|k|m|b)(?![a-z]))?"
_NOT_AN_AMOUNT = r"(?![\w%])(?!\s*percent\b)"
# Counts and durations are numbers too ("over 5 deals", "over 30 days"): without a currency sign or
# a scale, a number followed by one of these is no amount.
_COUNTED = re.compile(
    r"\s*(?:deals?|opportunit(?:y|ies)|contacts?|accounts?|emails?|days?|weeks?|months?|quarters?|years?|"
    r"people|reps?)\b",
    re.I,
)


def _amount(n: int) -> str:
    return (
        rf"(?P<cur{n}>\$|us\$|usd\s*)?\s*{_NUMBER.format(n=n)}{_SCALE.format(n=n)}"
        rf"(?P<usd{n}>\s*(?:usd|dollars))?{_NOT_AN_AMOUNT}"
    )


_MAX_AMOUNT = re.compile(
    r"(?:\b(?:under|below|less\s+than|at\s+most|up\s+to|no\s+more\s+than|smaller\s+than|cheaper\s+than)\s+"
    rf"|(?:<=?|≤)\s*){_amount(1)}",
    re.I,
)
_BETWEEN_AMOUNTS = re.compile(rf"\bbetween\s+{_amount(1)}\s+(?:and|to|-)\s+{_amount(2)}", re.I)
_MIN_AMOUNT = re.compile(
    r"(?:\b(?:over|above|more\s+than|greater\s+than|bigger\s+than|larger\s+than|at\s+least|exceeding|"
    r"upwards\s+of|north\s+of|no\s+less\s+than|minimum(?:\s+of)?|min\.?)\s+|(?:>=?|≥)\s*)"
    rf"{_amount(1)}",
    re.I,
)
_MIN_AMOUNT_SUFFIX = re.compile(
    rf"(?<![\w.,]){_amount(1)}\s*(?:\+|\bor\s+(?:more|above|higher)\b|\band\s+(?:up|above|over|higher)\b)",
    re.I,
)
_BARE_AMOUNT = re.compile(rf"(?<![\w.,]){_amount(1)}", re.I)
_SCALES = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "mil": 1_000_000,
    "million": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}


@dataclass(frozen=True)
class ClosePeriod:
    """A run of whole calendar months that deals must close in.

    ``year`` is the year of the first month when the text fixed it ("Q4 2027", "next quarter");
    None means "the caller's default year" (the current one unless config says otherwise).
    """

    first_month: int
    months: int
    year: int | None
    label: str
    quarter: Quarter | None = None

    def bounds(self, year: int | None = None) -> tuple[date, date]:
        """First and last day of the period, its first month in ``year`` (else its own year)."""
        start_year = year if year is not None else self.year
        if start_year is None:
            raise ValueError(f"the period '{self.label}' needs a year")
        start = date(start_year, self.first_month, 1)
        end_index = start_year * 12 + self.first_month - 1 + self.months
        after = date(end_index // 12, end_index % 12 + 1, 1)
        return start, date.fromordinal(after.toordinal() - 1)

    def describe(self, year: int | None = None) -> str:
        """The period as people write it, with its year: "Q4 2026", "November 2026", "2027"."""
        start, end = self.bounds(year)
        if self.quarter is not None or self.months == 1:
            return f"{self.label} {start.year}"
        if self.months == 12 and self.first_month == 1:
            return str(start.year)
        return f"{start:%B %Y}{_EN_DASH}{end:%B %Y}"


@dataclass(frozen=True)
class ParsedSalesQuery:
    """What a request says about deal filters, and the words each filter came from."""

    text: str
    stage: str | None = None
    min_amount: float | None = None
    period: ClosePeriod | None = None
    matches: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def quarter_bounds(quarter: Quarter, year: int) -> tuple[date, date]:
    """First and last day of a calendar quarter."""
    return quarter_period(int(quarter[1]), None).bounds(year)


def quarter_period(number: int, year: int | None) -> ClosePeriod:
    """Calendar quarter ``number`` (1-4) as a :class:`ClosePeriod`."""
    quarter = _QUARTERS[number - 1]
    return ClosePeriod(first_month=3 * number - 2, months=3, year=year, label=quarter, quarter=quarter)


class _Text:
    """The request with the spans already used blanked out, so no words are read twice."""

    def __init__(self, text: str) -> None:
        self.original = text
        self.rest = text

    def take(self, match: re.Match[str]) -> str:
        start, end = match.span()
        self.rest = self.rest[:start] + " " * (end - start) + self.rest[end:]
        return " ".join(self.original[start:end].split())


def _year_of(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    if groups.get("year"):
        return int(groups["year"])
    if groups.get("yy"):
        return 2000 + int(groups["yy"])
    return None


def _shift_months(today: date, months: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 + months
    return index // 12, index % 12 + 1


def _month_number(word: str) -> int:
    return _MONTHS[word.lower().rstrip(".")]


def _periods(text: _Text, today: date) -> list[tuple[int, str, ClosePeriod]]:
    """Every close period in the text as (position, words, period), most specific patterns first."""
    found: list[tuple[int, str, ClosePeriod]] = []

    def collect(pattern: re.Pattern[str], build: Callable[[re.Match[str]], ClosePeriod | None]) -> None:
        for match in list(pattern.finditer(text.rest)):
            period = build(match)
            if period is not None:
                found.append((match.start(), text.take(match), period))

    def explicit_quarter(match: re.Match[str]) -> ClosePeriod:
        number = int(match["q"]) if match.groupdict().get("q") else _ORDINALS[match["ord"].lower()]
        return quarter_period(number, _year_of(match))

    def relative_quarter(match: re.Match[str]) -> ClosePeriod:
        current = (today.month - 1) // 3
        index = today.year * 4 + current + _RELATIVE[match["rel"].lower()]
        return quarter_period(index % 4 + 1, index // 4)

    def month_range(match: re.Match[str]) -> ClosePeriod:
        first, last = _month_number(match["m1"]), _month_number(match["m2"])
        y1 = int(match["y1"]) if match["y1"] else None
        y2 = int(match["y2"]) if match["y2"] else None
        if y1 is None and y2 is not None:
            y1 = y2 if last >= first else y2 - 1
        span_years = (y2 - y1) if (y1 is not None and y2 is not None) else (0 if last >= first else 1)
        months = span_years * 12 + last - first + 1
        label = f"{_MONTH_NAMES[first - 1]}{_EN_DASH}{_MONTH_NAMES[last - 1]}"
        return ClosePeriod(first_month=first, months=max(months, 1), year=y1, label=label)

    def single_month(match: re.Match[str]) -> ClosePeriod | None:
        word = match["m"].lower().rstrip(".")
        year = _year_of(match)
        if word in _AMBIGUOUS_MONTHS and year is None and not _DATE_LEAD.search(text.rest[: match.start()]):
            return None
        number = _MONTHS[word]
        return ClosePeriod(first_month=number, months=1, year=year, label=_MONTH_NAMES[number - 1])

    def relative_month(match: re.Match[str]) -> ClosePeriod:
        year, month = _shift_months(today, _RELATIVE[match["rel"].lower()])
        return ClosePeriod(first_month=month, months=1, year=year, label=_MONTH_NAMES[month - 1])

    def relative_year(match: re.Match[str]) -> ClosePeriod:
        year = today.year + _RELATIVE[match["rel"].lower()]
        return ClosePeriod(first_month=1, months=12, year=year, label="year")

    def year_only(match: re.Match[str]) -> ClosePeriod:
        return ClosePeriod(first_month=1, months=12, year=int(match["year"]), label="year")

    for pattern in _QUARTER_PATTERNS:
        collect(pattern, explicit_quarter)
    collect(_RELATIVE_QUARTER, relative_quarter)
    collect(_MONTH_RANGE, month_range)
    collect(_SINGLE_MONTH, single_month)
    collect(_RELATIVE_MONTH, relative_month)
    collect(_RELATIVE_YEAR, relative_year)
    collect(_YEAR_ONLY, year_only)
    return sorted(found, key=lambda item: item[0])


def _amount_value(match: re.Match[str], n: int = 1) -> float | None:
    """The amount a match names, or None when it is a count or a duration ("over 5 deals")."""
    if not _is_currency(match, n) and _COUNTED.match(match.string, match.end(f"num{n}")):
        return None
    try:
        value = Decimal(match[f"num{n}"].replace(",", ""))
    except InvalidOperation:
        return None
    scale = match[f"scale{n}"]
    if scale:
        value *= _SCALES[scale.lower()]
    return float(value)


def _is_currency(match: re.Match[str], n: int = 1) -> bool:
    return bool(match[f"cur{n}"] or match[f"scale{n}"] or match[f"usd{n}"])


def _amounts(text: _Text) -> tuple[list[tuple[int, str, float]], list[str]]:
    """Minimum amounts as (position, words, value), and warnings for the bounds that cannot apply."""
    minimums: list[tuple[int, str, float]] = []
    warnings: list[str] = []
    for match in list(_MAX_AMOUNT.finditer(text.rest)):
        words = text.take(match)
        warnings.append(f"ignored '{words}': deals can be filtered by a minimum amount only")
    for match in list(_BETWEEN_AMOUNTS.finditer(text.rest)):
        words = text.take(match)
        low = _amount_value(match, 1)
        if low is not None:
            minimums.append((match.start(), words, low))
            warnings.append(f"used the lower bound of '{words}': there is no maximum amount filter")
    for pattern in (_MIN_AMOUNT, _MIN_AMOUNT_SUFFIX):
        for match in list(pattern.finditer(text.rest)):
            value = _amount_value(match)
            if value is not None:
                minimums.append((match.start(), text.take(match), value))
    for match in list(_BARE_AMOUNT.finditer(text.rest)):
        value = _amount_value(match)
        # A plain number ("top 5", a year) is no amount; "$100K" or "250k" is.
        if value is not None and _is_currency(match):
            minimums.append((match.start(), text.take(match), value))
    return sorted(minimums), warnings


def stage_phrases(stages: Iterable[str]) -> dict[str, str]:
    """{lower-case phrase: stage filter} for the known stage names.

    A name matches in full ("Closed Won"); a "Negotiation/Review" name also by the part before the
    slash, which is then the filter (a stage prefix, as :class:`OpportunityQuery` defines stage).
    """
    phrases: dict[str, str] = {}
    for stage in stages:
        name = " ".join(stage.split())
        if not name:
            continue
        phrases.setdefault(name.lower(), name)
        head = name.split("/", 1)[0].strip()
        if head and head != name:
            phrases.setdefault(head.lower(), head)
    return phrases


def _stages(text: _Text, stages: Iterable[str]) -> list[tuple[int, str, str]]:
    found: list[tuple[int, str, str]] = []
    phrases = stage_phrases(stages)
    for phrase in sorted(phrases, key=len, reverse=True):
        words = r"\s+".join(re.escape(word) for word in phrase.split())
        for match in list(re.finditer(rf"(?<![\w]){words}(?![\w])", text.rest, re.I)):
            found.append((match.start(), text.take(match), phrases[phrase]))
    return sorted(found)


def parse_sales_query(
    text: str, *, stages: Sequence[str] = SALESFORCE_STAGES, today: date
) -> ParsedSalesQuery:
    """The deal filters ``text`` asks for.

    ``stages`` are the CRM's stage names; ``today`` anchors "this quarter" and friends. When the text
    names several periods, amounts or stages, the first one counts and the others are reported in
    ``warnings`` (a filter holds one of each).
    """
    rest = _Text(text)
    warnings: list[str] = []
    matches: dict[str, str] = {}

    stage: str | None = None
    found_stages = _stages(rest, stages)
    if found_stages:
        _, words, stage = found_stages[0]
        matches["stage"] = words
        for _, other, _stage in found_stages[1:]:
            warnings.append(f"ignored stage '{other}': one stage per query, '{words}' came first")

    period: ClosePeriod | None = None
    found_periods = _periods(rest, today)
    if found_periods:
        _, words, period = found_periods[0]
        matches["close_period"] = words
        for _, other, _period in found_periods[1:]:
            warnings.append(f"ignored '{other}': one close period per query, '{words}' came first")

    min_amount: float | None = None
    found_amounts, amount_warnings = _amounts(rest)
    warnings += amount_warnings
    if found_amounts:
        _, words, min_amount = found_amounts[0]
        matches["min_amount"] = words
        for _, other, _amount in found_amounts[1:]:
            warnings.append(f"ignored '{other}': one minimum amount per query, '{words}' came first")

    return ParsedSalesQuery(
        text=text,
        stage=stage,
        min_amount=min_amount,
        period=period,
        matches=matches,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class ResolvedFilters:
    """The query to run, and for each filter whether config, the request text or a default set it."""

    query: OpportunityQuery
    sources: dict[str, Source]
    close_period: str | None = None
    parsed: ParsedSalesQuery | None = None

    def describe(self) -> dict[str, object]:
        """The applied filters as agents report them: values, the period, and their sources."""
        described: dict[str, object] = self.query.model_dump(mode="json", exclude_none=True)
        if self.close_period:
            described["close_period"] = self.close_period
        described["sources"] = dict(self.sources)
        return described


def resolve_filters(
    *,
    stage: str | None,
    min_amount: float | None,
    close_quarter: Quarter | None,
    close_year: int | None,
    limit: int,
    limit_source: Source,
    text: str | None,
    stages: Sequence[str],
    today: date,
) -> ResolvedFilters:
    """Merge explicit config fields with what ``text`` asks for; config wins field by field.

    The fields are the stage, the minimum amount, the close period (``close_quarter`` in config)
    and its year (``close_year``): "Q4" in the text with ``close_year: 2027`` in config means Q4 2027,
    and "Q1 2027" in the text with ``close_quarter: Q4`` means Q4 2027. Without any year, the period
    is in ``today``'s year.
    """
    parsed = parse_sales_query(text, stages=stages, today=today) if text and text.strip() else None
    sources: dict[str, Source] = {"limit": limit_source}
    query = OpportunityQuery(limit=limit)

    if stage is not None:
        query.stage, sources["stage"] = stage, "config"
    elif parsed and parsed.stage:
        query.stage, sources["stage"] = parsed.stage, "query"

    if min_amount is not None:
        query.min_amount, sources["min_amount"] = min_amount, "config"
    elif parsed and parsed.min_amount is not None:
        query.min_amount, sources["min_amount"] = parsed.min_amount, "query"

    period: ClosePeriod | None = None
    if close_quarter is not None:
        # The text's year still counts when it names a quarter too ("Q4 2027" with close_quarter Q4).
        text_year = parsed.period.year if parsed and parsed.period and parsed.period.quarter else None
        period, sources["close_period"] = quarter_period(int(close_quarter[1]), text_year), "config"
    elif parsed and parsed.period:
        period, sources["close_period"] = parsed.period, "query"
    label = None
    if period is not None:
        if close_year is not None:
            year, sources["close_year"] = close_year, "config"
        elif period.year is not None:
            year, sources["close_year"] = period.year, "query"
        else:
            year, sources["close_year"] = today.year, "default"
        query.close_from, query.close_to = period.bounds(year)
        label = period.describe(year)
    return ResolvedFilters(query=query, sources=sources, close_period=label, parsed=parsed)
