"""The plain-English deal request parser and the merge of its filters with explicit config."""

from __future__ import annotations

from datetime import date

import pytest

from agentflow.agents.sales_query import (
    SALESFORCE_STAGES,
    ClosePeriod,
    parse_sales_query,
    quarter_bounds,
    resolve_filters,
    stage_phrases,
)

TODAY = date(2026, 11, 20)  # in Q4 2026
HUBSPOT_STAGES = [
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
]


def parse(text: str, stages=SALESFORCE_STAGES):
    return parse_sales_query(text, stages=stages, today=TODAY)


def bounds(text: str, default_year: int = TODAY.year) -> tuple[date, date]:
    period = parse(text).period
    assert period is not None, f"no period in {text!r}"
    return period.bounds(period.year if period.year is not None else default_year)


# --- the reference requests --------------------------------------------------------------------


def test_the_reference_request_reads_q4_and_100k_and_no_stage() -> None:
    # When the reference workflow's execution input is parsed
    parsed = parse("Find Q4 deals over $100K and send check-in emails")
    # Then it asks for Q4 (of the default year) and at least 100,000, and names no stage
    assert parsed.period is not None and parsed.period.quarter == "Q4" and parsed.period.year is None
    assert parsed.min_amount == 100_000
    assert parsed.stage is None
    assert parsed.matches == {"close_period": "Q4", "min_amount": "over $100K"}
    assert parsed.warnings == ()


def test_a_request_with_a_stage_names_the_stage_by_its_prefix() -> None:
    parsed = parse("Find Q4 deals over $100K in Negotiation")
    assert parsed.stage == "Negotiation"  # the "Negotiation/Review" stage, as a prefix
    assert parsed.matches["stage"] == "Negotiation"


# --- periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("Q1 deals", date(2026, 1, 1), date(2026, 3, 31)),
        ("q2 deals", date(2026, 4, 1), date(2026, 6, 30)),
        ("Q3 2027", date(2027, 7, 1), date(2027, 9, 30)),
        ("Q4 of 2027", date(2027, 10, 1), date(2027, 12, 31)),
        ("Q1'27 pipeline", date(2027, 1, 1), date(2027, 3, 31)),
        ("Q2-2028", date(2028, 4, 1), date(2028, 6, 30)),
        ("2027 Q3 deals", date(2027, 7, 1), date(2027, 9, 30)),
        ("deals in the fourth quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("2nd quarter of 2027", date(2027, 4, 1), date(2027, 6, 30)),
    ],
)
def test_quarters_with_and_without_a_year(text: str, first: date, last: date) -> None:
    assert bounds(text) == (first, last)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("deals closing this quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("deals closing next quarter", date(2027, 1, 1), date(2027, 3, 31)),  # across the year end
        ("last quarter's deals", date(2026, 7, 1), date(2026, 9, 30)),
        ("deals closing this month", date(2026, 11, 1), date(2026, 11, 30)),
        ("deals closing next month", date(2026, 12, 1), date(2026, 12, 31)),
        ("deals closing next year", date(2027, 1, 1), date(2027, 12, 31)),
    ],
)
def test_relative_periods_count_from_today(text: str, first: date, last: date) -> None:
    assert bounds(text) == (first, last)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("deals closing in November", date(2026, 11, 1), date(2026, 11, 30)),
        ("closing in february 2028", date(2028, 2, 1), date(2028, 2, 29)),  # a leap year
        ("Nov 2027 renewals", date(2027, 11, 1), date(2027, 11, 30)),
        ("deals closing in Sept.", date(2026, 9, 1), date(2026, 9, 30)),
        ("closing between October and December", date(2026, 10, 1), date(2026, 12, 31)),
        ("closing between Nov and Feb", date(2026, 11, 1), date(2027, 2, 28)),  # wraps into next year
        ("from December 2026 to February 2027", date(2026, 12, 1), date(2027, 2, 28)),
        ("deals closing in 2027", date(2027, 1, 1), date(2027, 12, 31)),
    ],
)
def test_months_ranges_and_years(text: str, first: date, last: date) -> None:
    assert bounds(text) == (first, last)


def test_may_and_march_count_only_as_dates_in_date_context() -> None:
    # Given "may" and "march" as ordinary words, then as months
    assert parse("deals that may slip, march them forward").period is None
    assert bounds("deals closing in May") == (date(2026, 5, 1), date(2026, 5, 31))
    assert bounds("deals that may close in March 2027") == (date(2027, 3, 1), date(2027, 3, 31))


def test_the_first_of_several_periods_counts_and_the_rest_are_reported() -> None:
    parsed = parse("Q4 deals closing in November")
    assert parsed.period is not None and parsed.period.label == "Q4"
    assert parsed.warnings == ("ignored 'November': one close period per query, 'Q4' came first",)


def test_a_quarters_year_is_not_read_again_as_an_amount() -> None:
    parsed = parse("Q4 2027 deals over 2027")
    assert parsed.period is not None and parsed.period.year == 2027
    assert parsed.min_amount == 2027  # only the qualified number is an amount


# --- amounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("deals over $100K", 100_000),
        ("deals over 250,000", 250_000),
        ("over $1.2M", 1_200_000),
        ("at least 1.5 million", 1_500_000),
        ("more than $75,000.50", 75_000.5),
        ("deals above 75,000 dollars", 75_000),
        ("greater than 2bn", 2_000_000_000),
        ("deals > 100k", 100_000),
        ("deals >= $50k", 50_000),
        ("$100K+ deals", 100_000),
        ("deals of 100k or more", 100_000),
        ("$250k and up", 250_000),
        ("Find $100K deals", 100_000),  # a bare currency amount is a minimum
        ("minimum of USD 40000", 40_000),
    ],
)
def test_minimum_amounts(text: str, amount: float) -> None:
    assert parse(text).min_amount == amount


@pytest.mark.parametrize(
    "text",
    ["top 5 deals", "deals over 30 days old", "over 50% probability", "over 5 deals", "deals 2027"],
)
def test_counts_durations_percentages_and_plain_numbers_are_not_amounts(text: str) -> None:
    assert parse(text).min_amount is None


def test_a_maximum_is_ignored_with_a_warning() -> None:
    parsed = parse("deals under $50K")
    assert parsed.min_amount is None
    assert parsed.warnings == ("ignored 'under $50K': deals can be filtered by a minimum amount only",)


def test_a_range_keeps_its_lower_bound_with_a_warning() -> None:
    parsed = parse("deals between $50K and $100K")
    assert parsed.min_amount == 50_000
    assert "used the lower bound of 'between $50K and $100K'" in parsed.warnings[0]


def test_the_first_of_several_amounts_counts() -> None:
    parsed = parse("over $100K, or over $50K")
    assert parsed.min_amount == 100_000
    assert len(parsed.warnings) == 1 and "'over $50K'" in parsed.warnings[0]


# --- stages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("deals in negotiation", "Negotiation"),
        ("NEGOTIATION/REVIEW deals", "Negotiation/Review"),
        ("closed won deals", "Closed Won"),
        ("deals in proposal", "Proposal"),
        ("deals at the needs   analysis stage", "Needs Analysis"),
        ("Id. Decision Makers", "Id. Decision Makers"),
    ],
)
def test_salesforce_stage_names_match_case_insensitively(text: str, stage: str) -> None:
    assert parse(text).stage == stage


def test_hubspot_labels_are_matched_from_the_given_stage_list() -> None:
    assert parse("deals with contract sent over $10K", stages=HUBSPOT_STAGES).stage == "Contract Sent"
    assert parse("decision maker bought-in deals", stages=HUBSPOT_STAGES).stage == "Decision Maker Bought-In"
    # and a Salesforce-only name means nothing against HubSpot's stages
    assert parse("deals in prospecting", stages=HUBSPOT_STAGES).stage is None


def test_stage_words_inside_other_words_do_not_match() -> None:
    assert parse("renegotiation-free deals").stage is None
    assert parse("send check-in emails about proposals").stage is None


def test_one_stage_per_query() -> None:
    parsed = parse("negotiation or prospecting deals")
    assert parsed.stage == "Negotiation"
    assert parsed.warnings == ("ignored stage 'prospecting': one stage per query, 'negotiation' came first",)


def test_stage_phrases_offer_the_full_name_and_the_part_before_the_slash() -> None:
    phrases = stage_phrases(["Negotiation/Review", "Closed Won"])
    assert phrases == {
        "negotiation/review": "Negotiation/Review",
        "negotiation": "Negotiation",
        "closed won": "Closed Won",
    }


def test_text_without_filters_parses_to_nothing() -> None:
    parsed = parse("send check-in emails")
    assert (parsed.stage, parsed.min_amount, parsed.period, parsed.warnings) == (None, None, None, ())


# --- periods as values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "first", "last"),
    [("Q1", date(2026, 1, 1), date(2026, 3, 31)), ("Q4", date(2026, 10, 1), date(2026, 12, 31))],
)
def test_quarter_bounds(quarter: str, first: date, last: date) -> None:
    assert quarter_bounds(quarter, 2026) == (first, last)  # type: ignore[arg-type]


def test_a_period_without_a_year_needs_one() -> None:
    with pytest.raises(ValueError, match="needs a year"):
        ClosePeriod(first_month=10, months=3, year=None, label="Q4").bounds()


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("Q4", "Q4 2026"),
        ("closing in November", "November 2026"),
        ("in 2027", "2027"),
        ("between Nov and Feb", "November 2026\u2013February 2027"),
    ],
)
def test_periods_describe_themselves_with_their_year(text: str, described: str) -> None:
    period = parse(text).period
    assert period is not None
    assert period.describe(period.year if period.year is not None else 2026) == described


# --- merging with config -----------------------------------------------------------------------


def resolve(text: str | None, **config):
    fields = {"stage": None, "min_amount": None, "close_quarter": None, "close_year": None, **config}
    return resolve_filters(
        **fields, limit=200, limit_source="default", text=text, stages=SALESFORCE_STAGES, today=TODAY
    )


def test_the_reference_config_wins_over_the_reference_input() -> None:
    # Given the reference workflow's config and its execution input
    resolved = resolve(
        "Find Q4 deals over $100K and send check-in emails",
        stage="Negotiation",
        min_amount=100000,
        close_quarter="Q4",
    )
    # Then the query is the reference query, every filter from config and the year by default
    query = resolved.query
    assert (query.stage, query.min_amount) == ("Negotiation", 100000)
    assert (query.close_from, query.close_to) == (date(2026, 10, 1), date(2026, 12, 31))
    assert resolved.sources == {
        "limit": "default",
        "stage": "config",
        "min_amount": "config",
        "close_period": "config",
        "close_year": "default",
    }


def test_text_fills_what_config_leaves_open() -> None:
    resolved = resolve("Q3 deals over $250K in closed won", stage="Negotiation")
    assert resolved.query.stage == "Negotiation"
    assert resolved.query.min_amount == 250_000
    assert resolved.query.close_from == date(2026, 7, 1)
    assert resolved.sources["stage"] == "config"
    assert resolved.sources["min_amount"] == "query"
    assert resolved.sources["close_period"] == "query"


def test_config_amount_wins_over_the_texts() -> None:
    resolved = resolve("deals over $1M", min_amount=5000)
    assert resolved.query.min_amount == 5000 and resolved.sources["min_amount"] == "config"


def test_config_quarter_wins_over_a_month_in_the_text() -> None:
    resolved = resolve("closing in February", close_quarter="Q4")
    assert (resolved.query.close_from, resolved.query.close_to) == (date(2026, 10, 1), date(2026, 12, 31))
    assert resolved.close_period == "Q4 2026"


def test_config_year_applies_to_the_texts_quarter() -> None:
    resolved = resolve("Q4 deals", close_year=2027)
    assert resolved.query.close_from == date(2027, 10, 1)
    assert resolved.sources["close_period"] == "query" and resolved.sources["close_year"] == "config"


def test_config_year_wins_over_the_texts_year() -> None:
    resolved = resolve("Q4 2030 deals", close_year=2027)
    assert resolved.query.close_to == date(2027, 12, 31)


def test_the_texts_year_applies_to_the_config_quarter() -> None:
    resolved = resolve("deals in Q1 2027", close_quarter="Q4")
    assert resolved.query.close_from == date(2027, 10, 1)
    assert resolved.sources["close_year"] == "query"


def test_no_text_and_no_config_means_no_filters() -> None:
    resolved = resolve(None)
    assert resolved.query.model_dump(exclude_none=True) == {"limit": 200}
    assert resolved.sources == {"limit": "default"}
    assert resolved.parsed is None


def test_describe_lists_values_period_and_sources() -> None:
    described = resolve("Find Q4 deals over $100K in Negotiation").describe()
    assert described == {
        "stage": "Negotiation",
        "min_amount": 100000.0,
        "close_from": "2026-10-01",
        "close_to": "2026-12-31",
        "limit": 200,
        "close_period": "Q4 2026",
        "sources": {
            "limit": "default",
            "stage": "query",
            "min_amount": "query",
            "close_period": "query",
            "close_year": "default",
        },
    }
