"""The hubspot sandbox: hubspot's emulator over bundled data, for CONNECTOR_MODE=sandbox."""

from __future__ import annotations

import fcntl
import json
import secrets
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentflow.connectors.base import OpportunityQuery, sandbox_pause
from agentflow.errors import ConnectorError
from agentflow_sandbox import read_data

if TYPE_CHECKING:
    from agentflow.settings import Settings
from agentflow.connectors.hubspot import (
    DEAL_PROPERTIES,
    NOTE_TO_CONTACT,
    NOTE_TO_DEAL,
    ContactQuery,
    DealStage,
    DealUpdate,
    HubSpotConnector,
    HubSpotContact,
    HubSpotDeal,
    HubSpotNote,
    HubSpotNotFoundError,
    HubSpotOwner,
    NewNote,
    build_contact,
    build_deal,
    check_properties,
    contact_sort_key,
    deal_sort_key,
    epoch_ms,
    iso_timestamp,
    normal_name,
    note_associations,
    owner_from_record,
    parse_hubspot_datetime,
    parse_number,
    plain_number,
    stages_from_pipelines,
)

# --- sandbox -----------------------------------------------------------------------------------

# Deal properties the sandbox portal has (HubSpot rejects unknown ones with a 400).
SANDBOX_DEAL_PROPERTIES = frozenset(
    {
        *DEAL_PROPERTIES,
        "description",
        "dealtype",
        "hs_priority",
        "hs_forecast_category",
        "hs_manual_forecast_category",
        "closed_lost_reason",
        "closed_won_reason",
    }
)


def _shift_moment(value: str | None, years: int) -> str | None:
    moment = parse_hubspot_datetime(value)
    if moment is None:
        return value
    try:
        shifted = moment.replace(year=moment.year + years)
    except ValueError:  # Feb 29 into a year without one
        shifted = moment.replace(year=moment.year + years, day=28)
    return iso_timestamp(shifted)


@lru_cache(maxsize=8)
def _load_sandbox(path: str | None, year: int) -> dict[str, Any]:
    data = read_data("hubspot_crm.json", path)
    shift = year - int(data["base_year"])
    for record in data["deals"]:
        properties = record["properties"]
        for key in ("closedate", "createdate"):
            if properties.get(key):
                properties[key] = _shift_moment(properties[key], shift)
    data["companies_by_id"] = {record["id"]: record["properties"] for record in data["companies"]}
    data["contacts_by_id"] = {record["id"]: record["properties"] for record in data["contacts"]}
    return data


_write_lock = threading.Lock()


class HubSpotSandbox(HubSpotConnector):
    """HubSpot without the network: the bundled portal, moved to the current year.

    Filters behave as the live search does (stage names resolved to stage ids, inclusive amount and
    close-date bounds in UTC days); each call waits ``latency_ms`` first. Updates and notes are
    appended to ``{sandbox_dir}/hubspot/deal_updates.jsonl`` and ``notes.jsonl`` (serialised by a
    lock and a file lock) and applied, per tenant, to every later read.
    """

    def __init__(
        self,
        *,
        sandbox_dir: str | Path,
        latency_ms: int = 0,
        tenant_id: str | None = None,
        today: date | None = None,
        data_path: Path | None = None,
    ) -> None:
        self.directory = Path(sandbox_dir) / "hubspot"
        self.latency_ms = latency_ms
        self.tenant_id = tenant_id
        self._today = today
        self._data_path = str(data_path) if data_path is not None else None

    # -- bundled data and the local writes --

    def _data(self) -> dict[str, Any]:
        return _load_sandbox(self._data_path, (self._today or date.today()).year)

    def _lines(self, name: str) -> list[dict[str, Any]]:
        path = self.directory / name
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
        return [record for record in records if record.get("tenant_id") == self.tenant_id]

    def _append(self, name: str, record: Mapping[str, Any]) -> None:
        path = self.directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"tenant_id": self.tenant_id, **record}, ensure_ascii=False)
        with _write_lock, path.open("a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.write(line + "\n")
                handle.flush()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _deal_records(self) -> dict[str, dict[str, Any]]:
        """{deal id: record} with this tenant's updates applied in the order they were made."""
        deals = {
            record["id"]: {**record, "properties": dict(record["properties"])}
            for record in self._data()["deals"]
        }
        for update in self._lines("deal_updates.jsonl"):
            record = deals.get(update["deal_id"])
            if record is not None:
                record["properties"].update(update["properties"])
        return deals

    def _deal(self, record: Mapping[str, Any], stages: Mapping[str, DealStage]) -> HubSpotDeal:
        data = self._data()
        companies, contacts = data["companies_by_id"], data["contacts_by_id"]
        links = record.get("associations") or {}
        company_id = str(next(iter(links.get("companies") or []), ""))
        contact_id = str(next(iter(links.get("contacts") or []), ""))
        return build_deal(
            record["id"],
            record["properties"],
            stages=stages,
            company=(company_id, companies[company_id]) if company_id in companies else None,
            contact=(contact_id, contacts[contact_id]) if contact_id in contacts else None,
            owners=self._owners(),
        )

    def _owners(self) -> dict[str, HubSpotOwner]:
        return {record["id"]: owner_from_record(record) for record in self._data()["owners"]}

    # -- the interface --

    def pipelines_stages(self) -> list[DealStage]:
        """Stages of the bundled pipelines."""
        sandbox_pause(self.latency_ms)
        return stages_from_pipelines(self._data()["pipelines"])

    def owners(self) -> dict[str, HubSpotOwner]:
        """{owner id: owner} of the bundled portal."""
        sandbox_pause(self.latency_ms)
        return self._owners()

    def search_deals(self, query: OpportunityQuery) -> list[HubSpotDeal]:
        """Bundled deals matching ``query``, by close date then id."""
        stage_ids = {stage.id for stage in self.resolve_stages(query.stage)} if query.stage else None
        sandbox_pause(self.latency_ms)
        stages = {stage.id: stage for stage in stages_from_pipelines(self._data()["pipelines"])}
        low = epoch_ms(query.close_from) if query.close_from else None
        high = epoch_ms(query.close_to, end_of_day=True) if query.close_to else None
        found = []
        for record in self._deal_records().values():
            properties = record["properties"]
            if stage_ids is not None and properties.get("dealstage") not in stage_ids:
                continue
            amount = parse_number(properties.get("amount"))
            if query.min_amount is not None and (amount is None or amount < query.min_amount):
                continue
            closes = parse_hubspot_datetime(properties.get("closedate"))
            moment = int(closes.timestamp() * 1000) if closes else None
            if (low is not None or high is not None) and moment is None:
                continue
            if low is not None and moment is not None and moment < low:
                continue
            if high is not None and moment is not None and moment > high:
                continue
            found.append(self._deal(record, stages))
        return sorted(found, key=deal_sort_key)[: query.limit]

    def find_deals_by_name(self, names: Sequence[str]) -> dict[str, HubSpotDeal]:
        """Bundled deals named exactly so."""
        sandbox_pause(self.latency_ms)
        wanted = set(names)
        stages = {stage.id: stage for stage in stages_from_pipelines(self._data()["pipelines"])}
        found: dict[str, HubSpotDeal] = {}
        for record in sorted(self._deal_records().values(), key=lambda r: int(r["id"])):
            name = record["properties"].get("dealname")
            if name in wanted and name not in found:
                found[name] = self._deal(record, stages)
        return found

    def search_contacts(self, query: ContactQuery) -> list[HubSpotContact]:
        """Bundled contacts matching ``query`` (company names and stages compared case-insensitively)."""
        sandbox_pause(self.latency_ms)
        data = self._data()
        companies = data["companies_by_id"]
        wanted = {normal_name(name) for name in query.companies}
        company_ids = {
            cid for cid, props in companies.items() if normal_name(str(props.get("name"))) in wanted
        }
        if query.companies and not company_ids:
            return []
        domain = query.email_domain.strip().lstrip("@").lower() if query.email_domain else None
        found = []
        for contact_id, properties in data["contacts_by_id"].items():
            if query.companies and properties.get("associatedcompanyid") not in company_ids:
                continue
            if domain and str(properties.get("email") or "").lower().rpartition("@")[2] != domain:
                continue
            if query.lifecycle_stage and properties.get("lifecyclestage") != query.lifecycle_stage:
                continue
            found.append(build_contact(contact_id, properties, companies))
        return sorted(found, key=contact_sort_key)[: query.limit]

    def update_deal(
        self, deal_id: str, properties: Mapping[str, str], *, stage: str | None = None
    ) -> DealUpdate:
        """Record the update under ``{sandbox_dir}/hubspot/deal_updates.jsonl`` and return it."""
        check_properties(properties)
        record = self._deal_records().get(deal_id)
        if record is None:
            raise HubSpotNotFoundError(f"hubspot: deal {deal_id} does not exist")
        unknown = sorted(set(properties) - SANDBOX_DEAL_PROPERTIES)
        if unknown:
            raise ConnectorError(
                f"hubspot: Property values were not valid: {', '.join(unknown)} does not exist"
            )
        changes = dict(properties)
        label = None
        if stage is not None:
            target = self._stage_for_deal(stage, record["properties"].get("pipeline"))
            changes["dealstage"], label = target.id, target.label
            if target.probability is not None:
                # HubSpot recalculates the stage probability when a deal moves; so does the sandbox.
                changes.setdefault("hs_deal_stage_probability", plain_number(target.probability))
        if not changes:
            raise ConnectorError("a HubSpot deal update needs at least one property")
        sandbox_pause(self.latency_ms)
        updated_at = datetime.now(UTC)
        self._append(
            "deal_updates.jsonl",
            {"deal_id": deal_id, "properties": changes, "updated_at": iso_timestamp(updated_at)},
        )
        shown = {key: value for key, value in changes.items() if key in properties or key == "dealstage"}
        return DealUpdate(id=deal_id, properties=shown, stage=label, updated_at=updated_at)

    def create_note(self, note: NewNote) -> HubSpotNote:
        """Record the note under ``{sandbox_dir}/hubspot/notes.jsonl`` with a HubSpot-like id."""
        sandbox_pause(self.latency_ms)
        known_deals = self._deal_records()
        known_contacts = self._data()["contacts_by_id"]
        for deal_id in note.deal_ids:
            if deal_id not in known_deals:
                raise HubSpotNotFoundError(f"hubspot: deal {deal_id} does not exist")
        for contact_id in note.contact_ids:
            if contact_id not in known_contacts:
                raise HubSpotNotFoundError(f"hubspot: contact {contact_id} does not exist")
        note_id = str(40_000_000_000 + secrets.randbelow(9_000_000_000))
        self._append(
            "notes.jsonl",
            {
                "id": note_id,
                "properties": {"hs_note_body": note.body, "hs_timestamp": iso_timestamp(note.timestamp)},
                "associations": note_associations(note),
                "created_at": iso_timestamp(datetime.now(UTC)),
            },
        )
        return HubSpotNote(
            id=note_id,
            body=note.body,
            timestamp=note.timestamp,
            deal_ids=note.deal_ids,
            contact_ids=note.contact_ids,
        )

    def notes(self) -> list[HubSpotNote]:
        """The notes this tenant created in this sandbox directory, oldest first."""
        notes = []
        for record in self._lines("notes.jsonl"):
            targets: dict[int, list[str]] = {NOTE_TO_DEAL: [], NOTE_TO_CONTACT: []}
            for link in record.get("associations") or []:
                for kind in link.get("types") or []:
                    targets.setdefault(kind["associationTypeId"], []).append(str(link["to"]["id"]))
            timestamp = parse_hubspot_datetime(record["properties"]["hs_timestamp"]) or datetime.now(UTC)
            notes.append(
                HubSpotNote(
                    id=record["id"],
                    body=record["properties"]["hs_note_body"],
                    timestamp=timestamp,
                    deal_ids=targets[NOTE_TO_DEAL],
                    contact_ids=targets[NOTE_TO_CONTACT],
                )
            )
        return notes


def sandbox(settings: Settings, tenant_id: str) -> HubSpotSandbox:
    """The sandbox portal for ``tenant_id`` (ConnectorFactory, CONNECTOR_MODE=sandbox)."""
    return HubSpotSandbox(
        sandbox_dir=settings.sandbox_dir, latency_ms=settings.sandbox_latency_ms, tenant_id=tenant_id
    )
