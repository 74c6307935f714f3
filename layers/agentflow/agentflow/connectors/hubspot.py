"""HubSpot CRM: the live v3/v4 REST client (private app token) and the sandbox portal.

Both implement :class:`HubSpotConnector`: the CRM interface agents share with Salesforce
(:meth:`~HubSpotConnector.find_opportunities`), plus the deal, contact and note operations the
``hubspot`` agent needs. Deals come back in the same order from both (close date, then numeric id).

Stages. HubSpot filters deals by pipeline stage *id* ("contractsent", or a number for custom stages),
while agents speak in stage names ("Negotiation"). A name resolves to the stages whose id equals it or
whose label starts with it (case-insensitive), in every deal pipeline; the live client reads the
labels from ``GET /crm/v3/pipelines/deals``. :class:`HubSpotDeal` carries both the label and the id.

Associations. The search API returns no associations, so the live client reads each page's deal →
company and deal → contact links with the v4 batch endpoint
(``POST /crm/v4/associations/deals/{companies|contacts}/batch/read``: one call per page and object
type, with association labels, so the *primary* company is known), then the companies and contacts
with ``POST /crm/v3/objects/{type}/batch/read``, and owners once from ``GET /crm/v3/owners``.

The sandbox serves ``agentflow_sandbox/data/hubspot_crm.json`` (see ``tools/generate_hubspot_data.py``): the
Salesforce sandbox's accounts as companies, their contacts, its reps as owners and ~200 of its
opportunities as deals. Its writes (deal updates, notes) are JSON lines under
``{sandbox_dir}/hubspot/``, and later reads by the same tenant see them.

The sandbox emulator lives in ``agentflow_sandbox.hubspot`` (the sandbox layer, never deployed with
``ConnectorMode=live``).
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, Field

from agentflow.connectors.base import Opportunity, OpportunityQuery
from agentflow.connectors.http import VendorHttpClient, check_base_url
from agentflow.errors import ConnectorError

if TYPE_CHECKING:
    from agentflow.settings import Settings

API_BASE_URL = "https://api.hubapi.com"
SEARCH_PAGE_SIZE = 100  # the search API's most per page
BATCH_READ_SIZE = 100  # the v3 batch read's most inputs per call
NAME_GROUPS_PER_SEARCH = 5  # the search API's most filter groups (ORed) per request

# HUBSPOT_DEFINED association type ids.
NOTE_TO_DEAL = 214
NOTE_TO_CONTACT = 202
DEAL_TO_PRIMARY_COMPANY = 5

DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "closedate",
    "hubspot_owner_id",
    "deal_currency_code",
    "hs_deal_stage_probability",
    "hs_next_step",
)
CONTACT_PROPERTIES = ("firstname", "lastname", "email", "jobtitle", "lifecyclestage", "associatedcompanyid")
COMPANY_PROPERTIES = ("name", "domain", "industry")
LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
LifecycleStage = Literal[
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]
# HubSpot property internal names: lower-case letters, digits and underscores.
PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


# --- records -----------------------------------------------------------------------------------


class DealStage(BaseModel):
    """One stage of a deal pipeline."""

    id: str
    label: str
    pipeline_id: str
    pipeline_label: str
    display_order: int = 0
    probability: float | None = None  # 0.0-1.0, from the stage's metadata
    is_closed: bool = False


class HubSpotOwner(BaseModel):
    id: str
    email: str
    name: str


class HubSpotDeal(BaseModel):
    """A HubSpot deal with its primary company, first contact and owner.

    Field names follow :class:`~agentflow.connectors.base.Opportunity`, so agents that read deals
    (email_outreach) read these too; ``stage`` is the stage's label, ``stage_id`` HubSpot's id.
    """

    id: str
    name: str
    account_id: str | None = None
    account_name: str = ""
    amount: float = 0.0
    currency: str = "USD"
    stage: str
    stage_id: str
    pipeline: str | None = None
    close_date: date | None = None
    probability: int | None = None
    owner_id: str | None = None
    owner_name: str = ""
    owner_email: str = ""
    contact_id: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    next_step: str | None = None

    def to_opportunity(self) -> Opportunity | None:
        """The deal as a CRM opportunity, or None without a close date (an Opportunity needs one)."""
        if self.close_date is None:
            return None
        return Opportunity.model_validate(self.model_dump())


class HubSpotContact(BaseModel):
    id: str
    name: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    job_title: str | None = None
    lifecycle_stage: str | None = None
    company_id: str | None = None
    company_name: str | None = None


class ContactQuery(BaseModel):
    """Filters for :meth:`HubSpotConnector.search_contacts` (all given ones must hold)."""

    companies: list[str] = Field(default_factory=list, max_length=100)  # company names, any of them
    email_domain: str | None = None
    lifecycle_stage: LifecycleStage | None = None
    limit: int = Field(100, ge=1, le=2000)


class NewNote(BaseModel):
    """A note to create, associated with deals and/or contacts."""

    body: str = Field(min_length=1, max_length=65_536)  # hs_note_body: HTML HubSpot renders
    timestamp: datetime
    deal_ids: list[str] = Field(default_factory=list)
    contact_ids: list[str] = Field(default_factory=list)


class HubSpotNote(BaseModel):
    id: str
    body: str
    timestamp: datetime
    deal_ids: list[str] = Field(default_factory=list)
    contact_ids: list[str] = Field(default_factory=list)


class DealUpdate(BaseModel):
    """What an update of one deal changed (the properties as sent) and the stage it is now in."""

    id: str
    properties: dict[str, str]
    stage: str | None = None  # label of the new stage, when dealstage changed
    updated_at: datetime


class HubSpotNotFoundError(ConnectorError):
    """HubSpot has no object with that id (HTTP 404): the caller may skip it and go on."""


# --- shared logic ------------------------------------------------------------------------------


def normal_name(text: str) -> str:
    """``text`` with runs of white space as one space, case-folded (how names are compared)."""
    return " ".join(text.split()).casefold()


def matching_stages(stages: Sequence[DealStage], name: str) -> list[DealStage]:
    """The stages ``name`` means: those whose id or label equals it, else whose label starts with it.

    Case-insensitive, in every pipeline; so "Negotiation" finds a "Negotiation" stage and
    "Closed" finds both "Closed Won" and "Closed Lost".
    """
    wanted = normal_name(name)
    if not wanted:
        return []
    exact = [s for s in stages if s.id.casefold() == wanted or normal_name(s.label) == wanted]
    return exact or [s for s in stages if normal_name(s.label).startswith(wanted)]


def parse_hubspot_datetime(value: Any) -> datetime | None:
    """A HubSpot datetime property ("2026-11-14T05:00:00Z", with or without milliseconds, or epoch ms)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def epoch_ms(day: date, *, end_of_day: bool = False) -> int:
    """Milliseconds since the epoch at the start (or last millisecond) of ``day`` in UTC."""
    moment = datetime.combine(day, time(), tzinfo=UTC)
    if end_of_day:
        moment += timedelta(days=1, milliseconds=-1)
    return int(moment.timestamp() * 1000)


def parse_number(value: Any) -> float | None:
    """A HubSpot number property (a string) as a float; None when empty or not a number."""
    if value is None or value == "":
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def plain_number(value: float) -> str:
    """``value`` as HubSpot writes numbers: no exponent, no trailing zeros."""
    return format(Decimal(str(value)).normalize(), "f")


def deal_sort_key(deal: HubSpotDeal) -> tuple[bool, date, int, str]:
    """Close date (undated last), then numeric id: the order both implementations return."""
    numeric = int(deal.id) if deal.id.isdigit() else 0
    return (deal.close_date is None, deal.close_date or date.max, numeric, deal.id)


def contact_sort_key(contact: HubSpotContact) -> tuple[str, str, int]:
    return (
        (contact.last_name or "").casefold(),
        (contact.first_name or "").casefold(),
        int(contact.id) if contact.id.isdigit() else 0,
    )


def _full_name(first: Any, last: Any) -> str:
    return " ".join(str(part).strip() for part in (first, last) if part and str(part).strip())


def build_deal(
    deal_id: str,
    properties: Mapping[str, Any],
    *,
    stages: Mapping[str, DealStage],
    company: tuple[str, Mapping[str, Any]] | None,
    contact: tuple[str, Mapping[str, Any]] | None,
    owners: Mapping[str, HubSpotOwner],
) -> HubSpotDeal:
    """A :class:`HubSpotDeal` from a deal's properties and its already-read company, contact, owner."""
    stage_id = str(properties.get("dealstage") or "")
    stage = stages.get(stage_id)
    probability = parse_number(properties.get("hs_deal_stage_probability"))
    if probability is None and stage is not None:
        probability = stage.probability
    closes = parse_hubspot_datetime(properties.get("closedate"))
    owner = owners.get(str(properties.get("hubspot_owner_id") or ""))
    contact_props = contact[1] if contact else {}
    return HubSpotDeal(
        id=deal_id,
        name=str(properties.get("dealname") or ""),
        account_id=company[0] if company else None,
        account_name=str(company[1].get("name") or "") if company else "",
        amount=parse_number(properties.get("amount")) or 0.0,
        currency=str(properties.get("deal_currency_code") or "USD"),
        stage=stage.label if stage else stage_id,
        stage_id=stage_id,
        pipeline=properties.get("pipeline") or (stage.pipeline_id if stage else None),
        # Close dates are UTC days: HubSpot stores a moment, portals in the Americas write it at
        # local midnight, which is still the same day in UTC.
        close_date=closes.date() if closes else None,
        probability=round(probability * 100) if probability is not None else None,
        owner_id=owner.id if owner else (str(properties.get("hubspot_owner_id") or "") or None),
        owner_name=owner.name if owner else "",
        owner_email=owner.email if owner else "",
        contact_id=contact[0] if contact else None,
        contact_name=_full_name(contact_props.get("firstname"), contact_props.get("lastname")) or None,
        contact_email=contact_props.get("email") or None,
        next_step=properties.get("hs_next_step") or None,
    )


def build_contact(
    contact_id: str, properties: Mapping[str, Any], companies: Mapping[str, Mapping[str, Any]]
) -> HubSpotContact:
    """A :class:`HubSpotContact` from its properties and the names of the companies read."""
    company_id = str(properties.get("associatedcompanyid") or "") or None
    company = companies.get(company_id or "")
    first, last = properties.get("firstname") or None, properties.get("lastname") or None
    return HubSpotContact(
        id=contact_id,
        name=_full_name(first, last) or str(properties.get("email") or contact_id),
        first_name=first,
        last_name=last,
        email=properties.get("email") or None,
        job_title=properties.get("jobtitle") or None,
        lifecycle_stage=properties.get("lifecyclestage") or None,
        company_id=company_id,
        company_name=str(company.get("name")) if company and company.get("name") else None,
    )


def note_associations(note: NewNote) -> list[dict[str, Any]]:
    """The ``associations`` of a note create request: note → deal (214), note → contact (202)."""
    links = [(deal_id, NOTE_TO_DEAL) for deal_id in note.deal_ids]
    links += [(contact_id, NOTE_TO_CONTACT) for contact_id in note.contact_ids]
    return [
        {
            "to": {"id": object_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
        }
        for object_id, type_id in links
    ]


def check_properties(properties: Mapping[str, str]) -> None:
    """Refuse property names HubSpot would not accept (lower-case letters, digits, underscores)."""
    for name in properties:
        if not PROPERTY_NAME.match(name):
            raise ConnectorError(f"'{name}' is not a HubSpot property name (lower-case, digits, underscores)")


class HubSpotConnector(ABC):
    """HubSpot as agents see it: the CRM interface plus deals, contacts and notes."""

    name = "hubspot"

    @abstractmethod
    def pipelines_stages(self) -> list[DealStage]:
        """Every stage of every deal pipeline, pipeline by pipeline in display order."""

    @abstractmethod
    def search_deals(self, query: OpportunityQuery) -> list[HubSpotDeal]:
        """Deals matching ``query`` (stage by name or id), by close date then id; undated deals last."""

    @abstractmethod
    def find_deals_by_name(self, names: Sequence[str]) -> dict[str, HubSpotDeal]:
        """{deal name: deal} for the names that name a deal exactly (the first deal by id for each)."""

    @abstractmethod
    def search_contacts(self, query: ContactQuery) -> list[HubSpotContact]:
        """Contacts matching ``query``, by last name, first name, then id."""

    @abstractmethod
    def update_deal(
        self, deal_id: str, properties: Mapping[str, str], *, stage: str | None = None
    ) -> DealUpdate:
        """Set ``properties`` on a deal; ``stage`` (a name or id) moves it to that stage of its pipeline.

        Raises :class:`HubSpotNotFoundError` when the deal does not exist.
        """

    @abstractmethod
    def create_note(self, note: NewNote) -> HubSpotNote:
        """Create a note on the given deals and contacts."""

    def stage_names(self) -> list[str]:
        """The labels of every deal stage (the vocabulary request text may use), first occurrence kept."""
        return list(dict.fromkeys(stage.label for stage in self.pipelines_stages()))

    def resolve_stages(self, name: str) -> list[DealStage]:
        """The stages ``name`` means (see :func:`matching_stages`); none is an error naming the choices."""
        stages = self.pipelines_stages()
        found = matching_stages(stages, name)
        if not found:
            known = ", ".join(dict.fromkeys(stage.label for stage in stages))
            raise ConnectorError(f"no HubSpot deal stage matches '{name}'; stages: {known}")
        return found

    def _stage_for_deal(self, name: str, pipeline: str | None) -> DealStage:
        """The one stage ``name`` means in ``pipeline`` (the deal's), or a ConnectorError."""
        found = self.resolve_stages(name)
        if pipeline is not None:
            found = [stage for stage in found if stage.pipeline_id == pipeline] or found
        if len(found) > 1:
            options = ", ".join(f"{s.label} ({s.id}, {s.pipeline_label})" for s in found)
            raise ConnectorError(f"stage '{name}' is ambiguous: {options}")
        return found[0]

    def find_opportunities(self, query: OpportunityQuery) -> list[Opportunity]:
        """Deals matching ``query`` as CRM opportunities, by close date then id (the CRM interface)."""
        opportunities = (deal.to_opportunity() for deal in self.search_deals(query))
        return [opportunity for opportunity in opportunities if opportunity is not None]


# --- live --------------------------------------------------------------------------------------


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def deal_search_filters(query: OpportunityQuery, stage_ids: Sequence[str] | None) -> list[dict[str, Any]]:
    """The search API filters (one AND group) for ``query``; stage ids already resolved."""
    filters: list[dict[str, Any]] = []
    if stage_ids:
        if len(stage_ids) == 1:
            filters.append({"propertyName": "dealstage", "operator": "EQ", "value": stage_ids[0]})
        else:
            filters.append({"propertyName": "dealstage", "operator": "IN", "values": list(stage_ids)})
    if query.min_amount is not None:
        filters.append({"propertyName": "amount", "operator": "GTE", "value": plain_number(query.min_amount)})
    if query.close_from is not None and query.close_to is not None:
        filters.append(
            {
                "propertyName": "closedate",
                "operator": "BETWEEN",
                "value": str(epoch_ms(query.close_from)),
                "highValue": str(epoch_ms(query.close_to, end_of_day=True)),
            }
        )
    elif query.close_from is not None:
        filters.append(
            {"propertyName": "closedate", "operator": "GTE", "value": str(epoch_ms(query.close_from))}
        )
    elif query.close_to is not None:
        filters.append(
            {
                "propertyName": "closedate",
                "operator": "LTE",
                "value": str(epoch_ms(query.close_to, end_of_day=True)),
            }
        )
    return filters


class HubSpotClient(HubSpotConnector):
    """The live HubSpot connector: a private app's access token as a Bearer token.

    Endpoints (all under ``https://api.hubapi.com``): ``GET /crm/v3/pipelines/deals``,
    ``GET /crm/v3/owners`` (paged by ``after``),
    ``POST /crm/v3/objects/{deals|contacts|companies}/search`` (paged by ``after``, 100 per page),
    ``POST /crm/v4/associations/deals/{companies|contacts}/batch/read``,
    ``POST /crm/v3/objects/{companies|contacts}/batch/read``, ``GET``/``PATCH /crm/v3/objects/deals/{id}``
    and ``POST /crm/v3/objects/notes``. Scopes: ``crm.objects.deals.read/write``,
    ``crm.objects.contacts.read/write``, ``crm.objects.companies.read``, ``crm.objects.owners.read``.
    """

    def __init__(
        self,
        *,
        access_token: str,
        base_url: str = API_BASE_URL,
        credentials_secret: str | None = None,
        allow_loopback: bool = False,
        http: VendorHttpClient | None = None,
    ) -> None:
        if not access_token:
            raise ConnectorError("hubspot needs a private app access_token")
        self.base_url = check_base_url(base_url, allow_loopback=allow_loopback)
        self._token = access_token
        self._http = http or VendorHttpClient(
            self.name, credentials_secret=credentials_secret, allow_loopback=allow_loopback
        )
        self._stages: list[DealStage] | None = None
        self._owners: dict[str, HubSpotOwner] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_secret(
        cls, secret: Mapping[str, Any], *, secret_name: str, allow_loopback: bool
    ) -> HubSpotClient:
        """A client from a Secrets Manager secret's JSON: ``access_token`` (a private app's), and
        optionally ``base_url`` (tests, or another HubSpot API host)."""
        token = secret.get("access_token")
        if not isinstance(token, str) or not token:
            raise ConnectorError(f"secret '{secret_name}' lacks access_token (a HubSpot private app token)")
        base_url = secret.get("base_url") or API_BASE_URL
        if not isinstance(base_url, str):
            raise ConnectorError(f"secret '{secret_name}' has a non-string base_url")
        return cls(
            access_token=token,
            base_url=base_url,
            credentials_secret=secret_name,
            allow_loopback=allow_loopback,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    # -- plumbing --

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.send(
            method, f"{self.base_url}{path}", headers={"Authorization": f"Bearer {self._token}"}, **kwargs
        )
        if response.status_code == 404:
            raise HubSpotNotFoundError(f"hubspot: {method} {path.split('?')[0]} found no such object")
        self._http.raise_for_status(response)
        if not response.content:
            return {}
        return response.json()

    def _search(self, object_type: str, body: dict[str, Any], limit: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of search results (lists of objects), following ``paging.next.after``."""
        after: str | None = None
        while True:
            request = {**body, "limit": min(SEARCH_PAGE_SIZE, max(limit, 1))}
            if after is not None:
                request["after"] = after
            page = self._call("POST", f"/crm/v3/objects/{object_type}/search", json=request)
            results = [item for item in page.get("results") or [] if isinstance(item, dict)]
            yield results
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after or not results:
                return

    def _batch_read(self, object_type: str, ids: Iterable[str], properties: Sequence[str]) -> dict[str, dict]:
        """{id: properties} of the objects, read 100 at a time."""
        unique = list(dict.fromkeys(ids))
        found: dict[str, dict] = {}
        for chunk in _chunks(unique, BATCH_READ_SIZE):
            # HubSpot's spec marks propertiesWithHistory required; an empty list asks for no history.
            body = {
                "properties": list(properties),
                "propertiesWithHistory": [],
                "inputs": [{"id": object_id} for object_id in chunk],
            }
            answer = self._call("POST", f"/crm/v3/objects/{object_type}/batch/read", json=body)
            for item in answer.get("results") or []:
                found[str(item["id"])] = dict(item.get("properties") or {})
        return found

    def _associations(self, from_type: str, to_type: str, ids: Sequence[str]) -> dict[str, list[str]]:
        """{from id: [to ids]} with labelled "Primary" links first (v4 batch read)."""
        links: dict[str, list[str]] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), BATCH_READ_SIZE):
            body = {"inputs": [{"id": object_id} for object_id in chunk]}
            answer = self._call("POST", f"/crm/v4/associations/{from_type}/{to_type}/batch/read", json=body)
            # Objects without associations come back as errors of a 207 answer: they simply have none.
            for item in answer.get("results") or []:
                targets = item.get("to") or []
                primary = [
                    t
                    for t in targets
                    if any(
                        kind.get("typeId") == DEAL_TO_PRIMARY_COMPANY or kind.get("label") == "Primary"
                        for kind in t.get("associationTypes") or []
                    )
                ]
                ordered = primary + [t for t in targets if t not in primary]
                links[str(item["from"]["id"])] = [str(t["toObjectId"]) for t in ordered]
        return links

    # -- reference data --

    def pipelines_stages(self) -> list[DealStage]:
        """Stages of every deal pipeline (``GET /crm/v3/pipelines/deals``), read once per client."""
        with self._lock:
            if self._stages is None:
                answer = self._call("GET", "/crm/v3/pipelines/deals")
                self._stages = stages_from_pipelines(answer.get("results") or [])
            return list(self._stages)

    def owners(self) -> dict[str, HubSpotOwner]:
        """{owner id: owner} (``GET /crm/v3/owners``, every page), read once per client."""
        with self._lock:
            if self._owners is None:
                owners: dict[str, HubSpotOwner] = {}
                after: str | None = None
                while True:
                    params = {"limit": "100", **({"after": after} if after else {})}
                    page = self._call("GET", "/crm/v3/owners", params=params)
                    for item in page.get("results") or []:
                        owner = owner_from_record(item)
                        owners[owner.id] = owner
                    after = ((page.get("paging") or {}).get("next") or {}).get("after")
                    if not after:
                        break
                self._owners = owners
            return self._owners

    # -- deals --

    def _hydrate(self, records: Sequence[Mapping[str, Any]]) -> list[HubSpotDeal]:
        """Deals with their primary company, first contact and owner (batched per page)."""
        if not records:
            return []
        ids = [str(record["id"]) for record in records]
        company_links = self._associations("deals", "companies", ids)
        contact_links = self._associations("deals", "contacts", ids)
        companies = self._batch_read(
            "companies", (links[0] for links in company_links.values() if links), COMPANY_PROPERTIES
        )
        contacts = self._batch_read(
            "contacts", (links[0] for links in contact_links.values() if links), CONTACT_PROPERTIES
        )
        stages = {stage.id: stage for stage in self.pipelines_stages()}
        owners = self.owners()
        deals = []
        for record in records:
            deal_id = str(record["id"])
            company_id = next(iter(company_links.get(deal_id) or []), None)
            contact_id = next(iter(contact_links.get(deal_id) or []), None)
            deals.append(
                build_deal(
                    deal_id,
                    record.get("properties") or {},
                    stages=stages,
                    company=(company_id, companies[company_id]) if company_id in companies else None,
                    contact=(contact_id, contacts[contact_id]) if contact_id in contacts else None,
                    owners=owners,
                )
            )
        return deals

    def search_deals(self, query: OpportunityQuery) -> list[HubSpotDeal]:
        """Deals matching ``query`` via ``POST /crm/v3/objects/deals/search``, by close date then id.

        The search API sorts by one property, so pages are read until ``limit`` deals are in hand and
        the last one read closes later than the ``limit``-th: ties on that date are all seen before
        the id order is applied.
        """
        stage_ids = [stage.id for stage in self.resolve_stages(query.stage)] if query.stage else None
        filters = deal_search_filters(query, stage_ids)
        body = {
            "filterGroups": [{"filters": filters}] if filters else [],
            "properties": list(DEAL_PROPERTIES),
            "sorts": [{"propertyName": "closedate", "direction": "ASCENDING"}],
        }
        records: list[dict[str, Any]] = []
        for page in self._search("deals", body, query.limit):
            records.extend(page)
            if len(records) >= query.limit:
                cutoff = (records[query.limit - 1].get("properties") or {}).get("closedate")
                if (records[-1].get("properties") or {}).get("closedate") != cutoff:
                    break
        records.sort(key=_record_sort_key)
        deals = self._hydrate(records[: query.limit])
        return sorted(deals, key=deal_sort_key)

    def find_deals_by_name(self, names: Sequence[str]) -> dict[str, HubSpotDeal]:
        """Deals named exactly so (search ``dealname`` EQ, five names per request)."""
        wanted = list(dict.fromkeys(name for name in names if name))
        records: list[dict[str, Any]] = []
        for chunk in _chunks(wanted, NAME_GROUPS_PER_SEARCH):
            body = {
                "filterGroups": [
                    {"filters": [{"propertyName": "dealname", "operator": "EQ", "value": name}]}
                    for name in chunk
                ],
                "properties": list(DEAL_PROPERTIES),
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            }
            for page in self._search("deals", body, SEARCH_PAGE_SIZE):
                records.extend(page)
        found: dict[str, HubSpotDeal] = {}
        for deal in sorted(self._hydrate(records), key=lambda d: int(d.id) if d.id.isdigit() else 0):
            # HubSpot's EQ ignores case; the names asked for are matched exactly here.
            if deal.name in wanted:
                found.setdefault(deal.name, deal)
        return found

    def update_deal(
        self, deal_id: str, properties: Mapping[str, str], *, stage: str | None = None
    ) -> DealUpdate:
        """``PATCH /crm/v3/objects/deals/{id}`` with the properties (and the stage's id as dealstage)."""
        check_properties(properties)
        changes = dict(properties)
        label = None
        if stage is not None:
            pipeline = None
            if len(self.resolve_stages(stage)) > 1:
                current = self._call(
                    "GET",
                    f"/crm/v3/objects/deals/{quote(deal_id, safe='')}",
                    params={"properties": "pipeline"},
                )
                pipeline = (current.get("properties") or {}).get("pipeline")
            target = self._stage_for_deal(stage, pipeline)
            changes["dealstage"], label = target.id, target.label
        if not changes:
            raise ConnectorError("a HubSpot deal update needs at least one property")
        answer = self._call(
            "PATCH", f"/crm/v3/objects/deals/{quote(deal_id, safe='')}", json={"properties": changes}
        )
        updated_at = parse_hubspot_datetime(answer.get("updatedAt")) or datetime.now(UTC)
        return DealUpdate(
            id=str(answer.get("id") or deal_id), properties=changes, stage=label, updated_at=updated_at
        )

    # -- contacts --

    def _company_ids(self, names: Sequence[str]) -> dict[str, str]:
        """{company id: name} of the companies with these names (EQ, five names per request)."""
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(names)), NAME_GROUPS_PER_SEARCH):
            body = {
                "filterGroups": [
                    {"filters": [{"propertyName": "name", "operator": "EQ", "value": name}]} for name in chunk
                ],
                "properties": list(COMPANY_PROPERTIES),
            }
            for page in self._search("companies", body, SEARCH_PAGE_SIZE):
                for item in page:
                    found[str(item["id"])] = str((item.get("properties") or {}).get("name") or "")
        return found

    def search_contacts(self, query: ContactQuery) -> list[HubSpotContact]:
        """Contacts via ``POST /crm/v3/objects/contacts/search``: primary company among the named
        companies (``associatedcompanyid`` IN), ``hs_email_domain`` EQ, ``lifecyclestage`` EQ."""
        filters: list[dict[str, Any]] = []
        companies: dict[str, str] = {}
        if query.companies:
            companies = self._company_ids(query.companies)
            if not companies:
                return []
            filters.append(
                {"propertyName": "associatedcompanyid", "operator": "IN", "values": list(companies)}
            )
        if query.email_domain:
            domain = query.email_domain.strip().lstrip("@").lower()
            filters.append({"propertyName": "hs_email_domain", "operator": "EQ", "value": domain})
        if query.lifecycle_stage:
            filters.append(
                {"propertyName": "lifecyclestage", "operator": "EQ", "value": query.lifecycle_stage}
            )
        body: dict[str, Any] = {
            "filterGroups": [{"filters": filters}] if filters else [],
            "properties": list(CONTACT_PROPERTIES),
            "sorts": [{"propertyName": "lastname", "direction": "ASCENDING"}],
        }
        records: list[dict[str, Any]] = []
        for page in self._search("contacts", body, query.limit):
            records.extend(page)
            if len(records) >= query.limit:
                break
        company_ids = {str((r.get("properties") or {}).get("associatedcompanyid") or "") for r in records}
        company_ids.discard("")
        names = {cid: {"name": name} for cid, name in companies.items()}
        missing = [cid for cid in company_ids if cid not in names]
        names.update(self._batch_read("companies", missing, COMPANY_PROPERTIES) if missing else {})
        contacts = [build_contact(str(r["id"]), r.get("properties") or {}, names) for r in records]
        return sorted(contacts, key=contact_sort_key)[: query.limit]

    # -- notes --

    def create_note(self, note: NewNote) -> HubSpotNote:
        """``POST /crm/v3/objects/notes`` with hs_note_body, hs_timestamp and the associations."""
        body = {
            "properties": {"hs_note_body": note.body, "hs_timestamp": iso_timestamp(note.timestamp)},
            "associations": note_associations(note),
        }
        answer = self._call("POST", "/crm/v3/objects/notes", json=body)
        note_id = answer.get("id")
        if not note_id:
            raise ConnectorError("hubspot created a note but answered without its id")
        return HubSpotNote(
            id=str(note_id),
            body=note.body,
            timestamp=note.timestamp,
            deal_ids=note.deal_ids,
            contact_ids=note.contact_ids,
        )


def _record_sort_key(record: Mapping[str, Any]) -> tuple[bool, datetime, int]:
    closes = parse_hubspot_datetime((record.get("properties") or {}).get("closedate"))
    record_id = str(record.get("id") or "")
    return (
        closes is None,
        closes or datetime.max.replace(tzinfo=UTC),
        int(record_id) if record_id.isdigit() else 0,
    )


def iso_timestamp(moment: datetime) -> str:
    """``moment`` in HubSpot's timestamp form: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stages_from_pipelines(pipelines: Iterable[Mapping[str, Any]]) -> list[DealStage]:
    """Stages from ``GET /crm/v3/pipelines/{objectType}`` results, pipelines and stages in display order."""
    stages: list[DealStage] = []
    ordered = sorted(pipelines, key=lambda p: (int(p.get("displayOrder") or 0), str(p.get("id"))))
    for pipeline in ordered:
        if pipeline.get("archived"):
            continue
        for stage in sorted(pipeline.get("stages") or [], key=lambda s: int(s.get("displayOrder") or 0)):
            if stage.get("archived"):
                continue
            metadata = stage.get("metadata") or {}
            stages.append(
                DealStage(
                    id=str(stage["id"]),
                    label=str(stage.get("label") or stage["id"]),
                    pipeline_id=str(pipeline["id"]),
                    pipeline_label=str(pipeline.get("label") or pipeline["id"]),
                    display_order=int(stage.get("displayOrder") or 0),
                    probability=parse_number(metadata.get("probability")),
                    is_closed=str(metadata.get("isClosed", "false")).lower() == "true",
                )
            )
    return stages


def owner_from_record(record: Mapping[str, Any]) -> HubSpotOwner:
    """An owner from ``GET /crm/v3/owners`` results."""
    email = str(record.get("email") or "")
    return HubSpotOwner(
        id=str(record["id"]),
        email=email,
        name=_full_name(record.get("firstName"), record.get("lastName")) or email,
    )


def live(secret: dict[str, Any], secret_name: str, settings: Settings) -> HubSpotClient:
    """The live client from the credentials secret (ConnectorFactory, CONNECTOR_MODE=live)."""
    return HubSpotClient.from_secret(
        secret, secret_name=secret_name, allow_loopback=settings.connector_allow_loopback
    )
