"""Generate the sandbox document corpus for retrieval (deterministic: same bytes every run).

The email agent's ``use_rag`` retrieves context for each deal's account from uploaded documents and
cites them (document, page, excerpt). This writes a small corpus of such documents to
``layers/sandbox/agentflow_sandbox/data/documents/``, as a sales team would keep them for the seller of
the sandbox CRMs (the invented "Halyard Software"):

- account plans for every account that owns one of the reference workflow's 20 deals (Negotiation
  stage, amount of at least 100,000, closing in Q4 of ``salesforce_opportunities.json``; read here,
  so deal names, amounts, close dates and owners match the CRM), one account a page, spread over two
  PDFs and a DOCX, plus a Markdown watch list of four other accounts;
- product sheets (tiers, integrations, security), a pricing and discount policy, support and
  customer success, a competitive landscape and customer references, in PDF, DOCX, Markdown and
  plain text;
- ``manifest.json``: each file's name, content type, description, page count and, for account
  notes, the accounts it covers with their pages;

and ``bench/rag_questions.json``: questions a sales user might ask, each labelled with the one file
and page (1-based; TXT and Markdown files are one page) whose text holds ``answer_contains``.

Every paragraph of an account plan names its account, so retrieval by account name finds it. Bytes
are stable, so ``--check`` compares them: PDFs carry a fixed creation date and plain (uncompressed)
streams; DOCX files fixed core properties and zip entries with one fixed timestamp.

Every name is invented.

Usage::

    python tools/generate_documents.py          # rewrite the documents and the question set
    python tools/generate_documents.py --check  # fail if the files differ from what this writes
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from docx import Document as docx_document
from fpdf import FPDF, XPos, YPos

try:
    from tools import datafile
except ImportError:  # run as tools/<script>.py: tools/ is on sys.path
    import datafile  # type: ignore[no-redef]

try:  # imported as tools.generate_documents (tests)
    from tools.generate_sandbox_data import is_reference_match
except ImportError:  # run as tools/generate_documents.py: tools/ is on sys.path
    from generate_sandbox_data import is_reference_match

ROOT = Path(__file__).resolve().parents[1]
CRM_DATA = ROOT / "layers/sandbox/agentflow_sandbox/data/salesforce_opportunities.json"
OUTPUT_DIR = ROOT / "layers/sandbox/agentflow_sandbox/data/documents"
QUESTIONS_OUTPUT = ROOT / "bench/rag_questions.json"
FIXED_TIME = datetime(2026, 1, 1, tzinfo=UTC)
VENDOR = "Halyard Software"
AUTHOR = "Halyard Sales Operations"

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".md": "text/markdown",
    ".txt": "text/plain",
}

# A page is a list of blocks: (kind, text) with kind "title", "heading", "text" or "bullet".
Block = tuple[str, str]
Page = list[Block]


@dataclass(frozen=True)
class AccountPlan:
    """What an account executive keeps on one account; every passage names the account."""

    name: str
    relationship: str  # follows "<account> is ..."
    stakeholders: tuple[tuple[str, str, str], ...]  # (name, title, role in the deal)
    concerns: tuple[str, ...]
    meeting: str  # follows "Last meeting with <account>: "
    context: str  # renewal and competitive context
    next_steps: tuple[str, ...]


# The accounts of the 20 reference deals (Q4, Negotiation, at least 100,000). CRM contacts keep the
# titles the HubSpot sandbox gives them; the other stakeholders are invented.
REFERENCE_PLANS: list[AccountPlan] = [
    AccountPlan(
        "Blackrock Mesa Contractors",
        "a Halyard customer since 2023 on the Professional tier with the Project Controls Platform, "
        "used by 140 project managers in four regional offices (Phoenix, Denver, Albuquerque, Tucson).",
        (
            ("Walter Haines", "CFO", "economic buyer; signs every purchase over $250,000"),
            ("Ingrid Lindgren", "VP Operations", "champion; ran the Denver bid pilot"),
            ("Bruno Mori", "Director of IT", "technical evaluator for the data migration"),
            ("Dana Pruitt", "Procurement Manager", "owns the order form and vendor onboarding"),
        ),
        (
            "estimators in the Denver office still export bids to spreadsheets, so Blackrock Mesa "
            "Contractors wants the Bid Management Suite live there first",
            "Bruno Mori worries about migrating eight years of historical bid data from the old "
            "estimating database",
            "Walter Haines expects the expansion to pay back within 12 months",
        ),
        "October 6, on site in Phoenix. We walked through the bid-to-award dashboard. Ingrid Lindgren "
        "confirmed that the Denver pilot cut bid preparation from nine days to six. Walter Haines "
        "asked for a three-year price with annual billing and an upgrade to the Enterprise tier.",
        "The Professional subscription of Blackrock Mesa Contractors renews on March 31 and would be "
        "co-termed with the expansion. Stratacore has offered a bundled bid and estimating tool at a "
        "35% discount; our edge is the historical data migration and the Project Controls link.",
        (
            "Send Blackrock Mesa Contractors three-year pricing with annual billing by October 20 (a "
            "22% discount, so it needs VP of Sales approval).",
            "Schedule a data migration workshop with Bruno Mori.",
            "Offer a reference call with Stonebridge Builders.",
        ),
    ),
    AccountPlan(
        "City Power & Light",
        "a Halyard customer since 2020 on the Essentials tier with the Meter Data Management suite, "
        "which processes interval reads from 1.2 million smart meters.",
        (
            ("Ana Mensah", "VP Operations", "economic buyer"),
            ("Samuel Delacroix", "Director of IT", "champion; runs the meter data platform"),
            ("Ethan Banerjee", "Head of Procurement", "procurement lead for the renewal"),
            ("Corinne Blake", "Manager of Metering Analytics", "daily user and report owner"),
        ),
        (
            "Ethan Banerjee is pushing City Power & Light toward a flat renewal with no price uplift",
            "the state utility commission now requires seven years of interval data retention, "
            "while the current plan retains three",
            "a 14-hour ingest delay during the September heat wave is still without a root cause report",
        ),
        "September 22, video call. Ethan Banerjee tabled a competing quote. Ana Mensah said the "
        "renewal must be signed before October 1 to avoid a lapse in service, and agreed to extend "
        "data retention through the Extended Retention add-on.",
        "The City Power & Light contract ends on October 1. Veridian Cloud quoted 12% below our "
        "renewal price, but City Power & Light has not run a formal RFP and switching before the "
        "winter peak is seen as risky.",
        (
            "Send City Power & Light the renewal order form with the seven-year retention add-on and "
            "the uplift capped at 3%.",
            "Deliver the root cause report on the ingest delay to Samuel Delacroix.",
        ),
    ),
    AccountPlan(
        "Coho Winery",
        "a new-logo prospect: today it measures trade promotions with spreadsheets and a Pallas BI "
        "dashboard fed by distributor depletion reports.",
        (
            ("Oscar Brennan", "CFO", "economic buyer"),
            ("Yuki Fischer", "COO, wholesale division", "champion"),
            ("Chloe Kowalski", "COO, estates and production", "sponsor for supply planning"),
            ("Marisol Ortega", "Trade Marketing Director", "primary user"),
        ),
        (
            "depletion data reaches Coho Winery in about 40 distributor formats",
            "Oscar Brennan wants proof that promotion ROI can be measured per distributor",
            "harvest leaves Coho Winery no IT capacity until mid-November",
        ),
        "October 9, at the Coho Winery tasting room. We demonstrated promotion lift analysis on "
        "sample depletion data from their top distributor. Oscar Brennan asked whether the pilot fee "
        "could be credited toward production.",
        "Pallas BI is the incumbent at Coho Winery for dashboards only; Quantivo has pitched a trade "
        "promotion module. Coho Winery has no renewal dependency: this is a new subscription.",
        (
            "Send Coho Winery a proposal for the Professional tier with Trade Promotion Analytics and "
            "a QuickStart implementation.",
            "Map depletion data for the top five distributors with Marisol Ortega.",
        ),
    ),
    AccountPlan(
        "Crestline Communications",
        "a Halyard customer since 2022 on the Enterprise tier with Network Analytics; the open deal "
        "extends it with the Field Workforce Suite for 2,300 field technicians.",
        (
            ("Ana Takahashi", "COO", "economic buyer"),
            ("Freya Takahashi", "VP Sales", "executive sponsor"),
            ("Theo Marsh", "Director of Field Operations", "champion"),
            ("Priyanka Rao", "Enterprise Architect", "technical evaluator"),
        ),
        (
            "technicians in rural areas of Crestline Communications need a reliable offline mode",
            "the union agreement requires that scheduling rule changes be reviewed with the union",
            "work orders must sync both ways with ServiceNow",
        ),
        "October 14, at Crestline Communications headquarters. The offline mode demo succeeded on "
        "a low-signal test route. Ana Takahashi wants the rollout in two waves, starting with the "
        "northern region in February.",
        "The Crestline Communications IT team estimated an internal build at 14 months, which Theo "
        "Marsh considers too slow. Stratacore has not been invited. The Enterprise agreement renews "
        "next September.",
        (
            "Complete the mobile app security review for Crestline Communications.",
            "Send a phased order form matching the two-wave rollout.",
            "Hold a ServiceNow integration design session with Priyanka Rao.",
        ),
    ),
    AccountPlan(
        "Golden Furrow Foods",
        "a new-logo prospect that runs SAP S/4HANA for its mills and distribution centers and wants "
        "end-to-end Supply Chain Visibility from grain intake to retail shelf.",
        (
            ("Martin Achebe", "CFO", "economic buyer; approved a year-one budget of $360,000"),
            ("Aisha Osei", "VP Operations", "champion"),
            ("Chloe Varga", "Head of Procurement", "procurement lead"),
            ("Lina Sorensen", "SAP Platform Lead", "technical evaluator"),
        ),
        (
            "Golden Furrow Foods must trace a recalled lot within four hours",
            "the SAP S/4HANA connector means the Enterprise tier",
            "Chloe Varga insists on net 60 payment terms",
        ),
        "October 2, video call. Martin Achebe approved the year-one budget. The open point is "
        "payment terms; the final presentation is set for October 21 and the decision for "
        "October 24.",
        "Quantivo is the other finalist at Golden Furrow Foods. Golden Furrow Foods has no Halyard "
        "contract yet.",
        (
            "Submit the Golden Furrow Foods net 60 request to the deal desk.",
            "Run an SAP sandbox connection test with Lina Sorensen before the final presentation.",
        ),
    ),
    AccountPlan(
        "Humongous Insurance",
        "a Halyard customer since 2019 on the Enterprise tier with Claims Triage Automation; 40 "
        "commercial underwriters have piloted the Underwriting Workbench since June.",
        (
            ("Mei Delacroix", "CIO", "economic buyer"),
            ("Jonah Walsh", "COO", "executive sponsor"),
            ("Rebecca Tran", "Chief Underwriting Officer", "champion"),
            ("Sven Albrecht", "CISO", "security approver"),
        ),
        (
            "regulators expect Humongous Insurance to explain every automated underwriting score",
            "Sven Albrecht requires customer-managed encryption keys",
            "pilot users asked for a broker-facing portal",
        ),
        "September 30, pilot readout. Quote turnaround fell from 5.2 days to 2.9 days. Mei "
        "Delacroix confirmed the production budget and asked that half of the pilot fee be credited.",
        "Humongous Insurance has no competing vendor in this deal; the risk is that its IT budget "
        "moves to a policy administration project. The Enterprise agreement of Humongous Insurance "
        "renews on January 31.",
        (
            "Send Humongous Insurance the production order form with the pilot credit.",
            "Quote the Customer-Managed Keys add-on.",
            "Send the model explainability documentation to Sven Albrecht.",
        ),
    ),
    AccountPlan(
        "Ironvale Components",
        "a Halyard customer since 2024 on the Professional tier with the Quality Analytics Platform "
        "at its Ohio plant; the MES upgrade expansion adds the Monterrey plant.",
        (
            ("Noah Brennan", "CFO", "economic buyer"),
            ("Pavel Bauer", "VP Operations", "champion"),
            ("Ethan Delacroix", "VP Sales", "wants on-time delivery metrics for customers"),
            ("Greta Holm", "Plant IT Manager", "technical evaluator"),
        ),
        (
            "the Monterrey plant runs an older MES that needs a custom connector",
            "Ironvale Components froze new spending until its board meeting on December 10",
            "scrap rate reporting must match the finance team's definitions",
        ),
        "October 16, plant tour in Ohio. Pavel Bauer showed that the scrap rate fell 11% since the "
        "Quality Analytics rollout. Noah Brennan will take the expansion to the board on December 10.",
        "Veridian Cloud proposed MES analytics bundled with an ERP upgrade at Ironvale Components. "
        "The Ironvale Components Professional subscription renews in May.",
        (
            "Deliver a board-ready ROI summary to Ironvale Components by December 1.",
            "Assess the Monterrey MES connector with Greta Holm.",
            "Offer quarterly billing if the board asks to spread payments.",
        ),
    ),
    AccountPlan(
        "Keystone Mutual",
        "a Halyard customer since 2021 on the Professional tier; 120 independent agents in "
        "Pennsylvania have piloted the Agent Portal since spring.",
        (
            ("Isabel Lindgren", "CIO", "economic buyer"),
            ("Liam Schmidt", "VP Sales", "champion; owns the independent agent channel"),
            ("Kofi Boateng", "Director of Agency Operations", "primary user"),
            ("Harriet Vale", "General Counsel", "legal approver"),
        ),
        (
            "Harriet Vale is redlining the limitation of liability in the Keystone Mutual MSA",
            "independent agents must sign in through their own agencies' identity providers",
            "a Spanish-language portal is needed for agencies in Philadelphia",
        ),
        "November 3, legal review. Both sides agreed to cap liability at 12 months of fees. We "
        "confirmed Spanish localization for the second quarter of next year.",
        "The agents of Keystone Mutual quote today through a Stratacore-based tool. Onboarding agents "
        "through SCIM requires an upgrade of Keystone Mutual to the Enterprise tier.",
        (
            "Send Keystone Mutual the revised MSA with the liability cap.",
            "Confirm the Spanish localization date in writing.",
            "Draft the production cutover plan with Kofi Boateng.",
        ),
    ),
    AccountPlan(
        "Lakeside State University",
        "a Halyard customer since 2021; the Student Success Platform supports 180 advisors, and the "
        "renewal runs three years.",
        (
            ("Lucas Takahashi", "CIO", "economic buyer"),
            ("Fatima Sullivan", "Director of Analytics", "champion"),
            ("Mei Sullivan", "CIO, Health Sciences campus", "wants to join the contract"),
            ("Raymond Otieno", "Provost", "executive sponsor"),
        ),
        (
            "Lakeside State University must buy through a cooperative contract vehicle",
            "student records fall under FERPA",
            "every screen must meet WCAG 2.1 AA accessibility",
        ),
        "October 28, on campus. The retention dashboard showed first-year retention up 3.4 points. "
        "Provost Raymond Otieno asked for an integration with the advising appointment system.",
        "The Lakeside State University contract ends December 31. Quantivo is on the state "
        "contract and has approached the Health Sciences campus.",
        (
            "Provide Lakeside State University with our VPAT accessibility report.",
            "Quote a three-year renewal that adds the Health Sciences campus.",
            "Confirm the contract vehicle with the purchasing office.",
        ),
    ),
    AccountPlan(
        "Litware Systems",
        "a Halyard customer since 2018 (one of our oldest) on the Enterprise tier; the renewal adds "
        "400 seats for the engineering team of a company Litware Systems acquired in June.",
        (
            ("Selin Ahmed", "CIO", "economic buyer"),
            ("Yuki Fischer", "Head of Procurement", "runs the negotiation"),
            ("Andre Costa", "Director of Data Engineering", "champion"),
        ),
        (
            "the acquired team's Databricks workspace must be co-termed with the Litware Systems contract",
            "Yuki Fischer asked for a 25% discount",
            "the security team wants audit log export to its SIEM",
        ),
        "September 29, call with procurement. Yuki Fischer asked for 25% off; we countered with 15% "
        "on a three-year term and offered to co-term the acquired seats.",
        "Litware Systems considered consolidating on native Databricks tooling, but Andre Costa "
        "values the Halyard connectors. The current Litware Systems term ends October 31.",
        (
            "Submit Litware Systems at 18% on a three-year term to the deal desk.",
            "Send the co-term schedule for the acquired seats.",
        ),
    ),
    AccountPlan(
        "Lucerne Publishing",
        "a Halyard customer since 2022 on the Professional tier; the Content Platform pilot "
        "(catalog search and rights metadata) now moves to production for all imprints.",
        (
            ("Fatima Duarte", "CFO", "economic buyer"),
            ("Kwame Fischer", "COO", "executive sponsor"),
            ("Elise Marchetti", "Head of Digital Products", "champion"),
            ("Tomasz Wren", "Rights Manager", "primary user"),
        ),
        (
            "the target close of December 25 falls on the Lucerne Publishing office closure, so "
            "signatures are needed by December 19",
            "rights metadata for 60,000 titles must migrate without loss",
            "the London imprint needs EU data residency",
        ),
        "November 6, video call. Elise Marchetti presented pilot results: catalog search time fell "
        "by half. Fatima Duarte asked for payment in two installments.",
        "Lucerne Publishing still uses Pallas BI for sales reporting. The Professional subscription "
        "of Lucerne Publishing renews in April; EU data residency requires the Enterprise tier.",
        (
            "Get Lucerne Publishing signatures by December 19.",
            "Quote the Enterprise upgrade with EU data residency.",
            "Plan the rights metadata migration with Tomasz Wren.",
        ),
    ),
    AccountPlan(
        "Margie's Travel",
        "a Halyard customer since 2020 on the Professional tier with the Guest Experience Suite; "
        "the open deal adds Revenue Management for 35 branded tours and cruises.",
        (
            ("Hana Ivanova", "COO", "economic buyer"),
            ("Aisha Walsh", "VP Operations", "champion"),
            ("Mei Osei", "Head of Procurement", "procurement lead"),
            ("Carlos Mendes", "Revenue Manager", "primary user"),
        ),
        (
            "Margie's Travel prices tours weekly by hand and loses margin on late bookings",
            "Mei Osei wants the new module priced within the current budget line",
            "the reservations system exports only nightly files",
        ),
        "November 12, at the Margie's Travel head office. Carlos Mendes showed that manual repricing "
        "takes two days a week. Hana Ivanova agreed to a go-live before the spring booking season.",
        "Margie's Travel renews its Professional subscription in February; the module would be "
        "co-termed. A smaller revenue management vendor offered Margie's Travel a free first year.",
        (
            "Send Margie's Travel a co-termed quote for Revenue Management.",
            "Set up the nightly file integration with the reservations system.",
        ),
    ),
    AccountPlan(
        "Prairie Wind Energy",
        "a Halyard customer since 2021 on the Enterprise tier; Phase 1 of the Asset Performance "
        "Suite covers 310 turbines, and Phase 2 adds the solar fleet and battery storage.",
        (
            ("Mei Okonkwo", "COO", "economic buyer"),
            ("Kenji Duarte", "VP Sales", "sponsor for power purchase reporting"),
            ("Lars Pettersen", "Director of Asset Management", "champion"),
        ),
        (
            "Prairie Wind Energy needs inverter data from two solar vendors with different protocols",
            "NERC CIP rules restrict what may leave the operations network",
            "maintenance crews want alerts on mobile devices",
        ),
        "October 30, operations center visit. Lars Pettersen reported that predictive alerts "
        "avoided two gearbox failures this year. Mei Okonkwo asked for Phase 2 pricing per megawatt.",
        "No competitor is active at Prairie Wind Energy; the Enterprise agreement of Prairie Wind "
        "Energy renews in June. Prairie Wind Energy is a published reference customer.",
        (
            "Send Prairie Wind Energy Phase 2 pricing per megawatt.",
            "Confirm the on-premises data gateway design for NERC CIP.",
        ),
    ),
    AccountPlan(
        "Relecloud Media",
        "a new customer since March on the Essentials tier; the Subscriber Analytics pilot now "
        "moves to production for 2.1 million streaming subscribers.",
        (
            ("Ethan Sullivan", "COO", "economic buyer"),
            ("Omar Rossi", "Director of IT", "technical evaluator"),
            ("Nadine Fortier", "VP Audience Growth", "champion"),
        ),
        (
            "Relecloud Media churn models must exclude data from users who opted out",
            "the Essentials tier lacks the Snowflake connector that Relecloud Media needs",
            "Omar Rossi has a small team and asks for a managed implementation",
        ),
        "October 20, video call. Nadine Fortier showed a churn model that flagged 18,000 at-risk "
        "subscribers. Ethan Sullivan accepted an upgrade to the Professional tier.",
        "Relecloud Media evaluated Quantivo for churn analytics last year and chose Halyard on price. "
        "The Relecloud Media Essentials term renews in March.",
        (
            "Send Relecloud Media the upgrade order form for the Professional tier.",
            "Scope a Guided implementation with Omar Rossi.",
        ),
    ),
    AccountPlan(
        "Riverbend Dairy Cooperative",
        "a new-logo prospect: 220 member farms ship milk to three processing plants, and the "
        "cooperative wants Supply Chain Visibility from farm pickup to store delivery.",
        (
            ("Ethan Fischer", "COO", "economic buyer"),
            ("Gabriel Mensah", "VP Sales", "champion; wants shelf-life data for retailers"),
            ("Rosa Moreau", "Director of IT", "technical evaluator"),
            ("Board of Directors", "member farmers", "approve any contract over $100,000"),
        ),
        (
            "the board of Riverbend Dairy Cooperative meets only on the first Tuesday of the month",
            "member farms have poor connectivity for pickup scans",
            "the cooperative pays suppliers on net 45 and wants the same",
        ),
        "November 4, at the Riverbend Dairy Cooperative main plant. Rosa Moreau confirmed the "
        "tanker telematics feed. Ethan Fischer will present to the board on December 1.",
        "Riverbend Dairy Cooperative also talks to Golden Furrow Foods, a Halyard prospect, about "
        "shared logistics. No competitor is named at Riverbend Dairy Cooperative.",
        (
            "Prepare a board summary for Riverbend Dairy Cooperative by November 24.",
            "Request net 45 terms from Finance.",
        ),
    ),
    AccountPlan(
        "Silverline Capital",
        "a new-logo prospect and the largest deal of the quarter: a Customer 360 Implementation for "
        "wealth management, covering 900 advisors.",
        (
            ("Victoria Lang", "Chief Operating Officer", "economic buyer"),
            ("Diego Delacroix", "Director of IT", "champion"),
            ("Harold Brandt", "Chief Risk Officer", "risk and vendor approval"),
        ),
        (
            "Silverline Capital requires a third-party vendor risk assessment before signature",
            "client data must stay in the United States",
            "the close date of October 1 leaves almost no slack",
        ),
        "September 24, at Silverline Capital. Harold Brandt received the SOC 2 Type II report and "
        "asked for the penetration test summary. Victoria Lang confirmed the budget of $700,000.",
        "Stratacore is the incumbent CRM analytics vendor at Silverline Capital; its contract ends in "
        "December. The discount on Silverline Capital is 28% on a three-year term.",
        (
            "Send Harold Brandt at Silverline Capital the penetration test summary under NDA.",
            "Book the signing call with Victoria Lang.",
        ),
    ),
    AccountPlan(
        "Skyward Telecom",
        "a Halyard customer since 2023 on the Professional tier; Network Analytics would replace "
        "three home-grown dashboards in the network operations center.",
        (
            ("Gabriel Quinn", "COO", "economic buyer"),
            ("Marcus Castillo", "VP Operations", "champion"),
            ("Anika Brandt", "NOC Manager", "primary user"),
        ),
        (
            "Skyward Telecom needs five-minute data freshness for outage detection",
            "the upgrade needs the Enterprise tier for 99.95% availability",
            "Gabriel Quinn compares the price with the cost of the in-house team",
        ),
        "November 2, at the Skyward Telecom network operations center. Anika Brandt replayed last "
        "month's fiber cut: Halyard would have flagged it 22 minutes earlier.",
        "Skyward Telecom has an in-house analytics team of six; the alternative is to keep building. "
        "The Professional subscription of Skyward Telecom renews in July.",
        (
            "Send Skyward Telecom an Enterprise upgrade quote co-termed to July.",
            "Share a build-versus-buy cost model with Gabriel Quinn.",
        ),
    ),
    AccountPlan(
        "Summit Gas & Electric",
        "a Halyard customer since 2019 on the Enterprise tier; the Meter Data Management renewal "
        "covers 2.8 million electric and gas meters.",
        (
            ("Gloria Hart", "SVP Customer Operations", "economic buyer"),
            ("Leila Sato", "VP Sales", "champion for commercial accounts"),
            ("Neil Ferraro", "Manager of Meter Operations", "primary user"),
        ),
        (
            "Summit Gas & Electric adds 400,000 gas meters next year",
            "Gloria Hart wants a 5-year term with a price lock",
            "the rate case filing needs cost certainty",
        ),
        "October 27, at Summit Gas & Electric. Gloria Hart asked for a five-year renewal with fixed "
        "annual fees; Neil Ferraro confirmed the gas meter rollout schedule.",
        "The Summit Gas & Electric renewal date is December 31. Veridian Cloud presented at an "
        "industry event Summit Gas & Electric attended, but no RFP is planned.",
        (
            "Request deal desk approval for a five-year term for Summit Gas & Electric.",
            "Price the 400,000 gas meters in tiers.",
        ),
    ),
    AccountPlan(
        "Trey Research Clinics",
        "a Halyard customer since 2020 on the Enterprise tier with Claims Automation across 14 "
        "clinics; the renewal also adds prior authorization workflows.",
        (
            ("Omar Mori", "CIO", "economic buyer"),
            ("Jonah Horvat", "VP Sales", "champion; owns payer relationships"),
            ("Dr. Helen Price", "Chief Medical Officer", "clinical sponsor"),
            ("Bettina Kraus", "Privacy Officer", "HIPAA approver"),
        ),
        (
            "Trey Research Clinics needs the HIPAA business associate agreement updated",
            "claim denials rose 4% after a payer changed its rules",
            "the close on December 31 collides with year-end",
        ),
        "November 18, video call. Omar Mori agreed to a three-year renewal if the prior "
        "authorization workflows go live by March. Bettina Kraus sent the updated BAA.",
        "The Trey Research Clinics agreement ends December 31. A claims clearinghouse offered "
        "Trey Research Clinics a bundled denial management tool.",
        (
            "Return the signed BAA to Trey Research Clinics.",
            "Commit to a March go-live for prior authorization.",
        ),
    ),
    AccountPlan(
        "VanArsdel Data",
        "a Halyard customer since 2022 on the Enterprise tier; Phase 2 of the Data Platform "
        "Migration moves 40 remaining pipelines off the legacy Hadoop cluster.",
        (
            ("Mateus Rossi", "CFO", "economic buyer"),
            ("Ana Romero", "CIO", "champion and executive sponsor"),
            ("Jun Park", "Principal Data Engineer", "technical lead"),
        ),
        (
            "VanArsdel Data must shut down the Hadoop cluster before its hardware lease ends",
            "two pipelines carry regulated financial data",
            "Mateus Rossi wants milestone-based payments",
        ),
        "October 15, video call. Jun Park confirmed that Phase 1 moved 60 pipelines with no data "
        "loss. Mateus Rossi asked for payments tied to milestones.",
        "VanArsdel Data is a published reference customer. No competitor is involved; the risk is "
        "the hardware lease date. The Enterprise agreement of VanArsdel Data renews in August.",
        (
            "Send VanArsdel Data a milestone payment schedule.",
            "Confirm the Hadoop lease end date with Jun Park.",
        ),
    ),
]

# Four other accounts a sales team watches, none with a reference deal.
WATCHLIST_PLANS: list[AccountPlan] = [
    AccountPlan(
        "Northwind Logistics",
        "a Halyard customer on the Enterprise tier with the Fleet Analytics Platform and the "
        "Telematics Data Hub, and the account with the most open support escalations.",
        (
            ("Leila Takahashi", "VP Operations", "executive sponsor"),
            ("Omar Mori", "CFO", "economic buyer for renewals"),
            ("Nadia Rossi", "COO", "escalation contact"),
        ),
        (
            "Northwind Logistics has four urgent or high support tickets open, including shipment "
            "tracking API errors and a delayed telematics feed",
            "dispatcher sign-in failed after an identity provider certificate rotation",
        ),
        "this week, escalation call. Leila Takahashi asked for a daily status update until the "
        "tracking API and telematics issues are resolved.",
        "Northwind Logistics is a renewal risk until the escalations close; do not push the Route "
        "Optimization expansion at Northwind Logistics before then.",
        ("Send Northwind Logistics a daily escalation summary.",),
    ),
    AccountPlan(
        "Woodgrove Bank",
        "a prospect with an early-stage Fraud Detection Expansion and a Customer 360 opportunity.",
        (
            ("Arjun Moreau", "COO", "sponsor"),
            ("Jonah Brennan", "Director of Analytics", "champion"),
        ),
        ("Woodgrove Bank requires an on-site audit of our data centers' providers",),
        "September 10, discovery workshop with Jonah Brennan on fraud alert volumes.",
        "Woodgrove Bank runs a Quantivo fraud model today.",
        ("Share the Woodgrove Bank audit package.",),
    ),
    AccountPlan(
        "Contoso Software",
        "a Halyard customer whose Enterprise License Renewal stalled at identifying decision makers.",
        (
            ("Elena Kowalski", "COO", "sponsor"),
            ("Felix Fischer", "COO, cloud division", "possible economic buyer"),
        ),
        ("Contoso Software reorganized into two divisions and budget ownership is unclear",),
        "August 28, call with Elena Kowalski about the reorganization.",
        "Contoso Software renewal risk is medium; no competitor is named.",
        ("Map the new Contoso Software budget owners.",),
    ),
    AccountPlan(
        "Fabrikam Industrial",
        "a prospect with a small Predictive Maintenance Pilot expansion.",
        (("Fatima Quinn", "CIO", "sponsor"),),
        ("Fabrikam Industrial wants a pilot limited to one production line",),
        "October 1, pilot scoping call with Fatima Quinn.",
        "Fabrikam Industrial is a candidate for the Ironvale Components reference.",
        ("Send Fabrikam Industrial the single-line pilot scope.",),
    ),
]

PRODUCT_TIERS: list[Page] = [
    [
        ("title", "Halyard Cloud: product tiers"),
        (
            "text",
            "Halyard Cloud is the data and workflow platform of Halyard Software. It connects a "
            "customer's business systems, models their data in one place and runs analytics and "
            "automated workflows on top. Every customer buys one platform tier (Essentials, "
            "Professional or Enterprise) and may add industry solution suites and add-ons. Tiers are "
            "sold as annual subscriptions; list prices are in the pricing and discount policy.",
        ),
        ("heading", "Essentials"),
        (
            "text",
            "Essentials is the entry tier for a single team. It includes up to 25 named users, five "
            "standard connectors, dashboards and scheduled reports, one production environment, "
            "three years of data retention, business-hours support by e-mail and a 99.5% monthly "
            "availability commitment. Sign-in is by e-mail and password with multi-factor "
            "authentication; single sign-on is not included in Essentials.",
        ),
        ("heading", "Professional"),
        (
            "text",
            "Professional is the tier for a department or a mid-size company. It includes up to 150 "
            "named users, every standard connector, workflow automation with approvals, one sandbox "
            "environment next to production, SAML single sign-on, 24x5 support with a four-hour "
            "response to severity 1 incidents and a 99.9% monthly availability commitment. "
            "Professional is the most common tier among Halyard customers.",
        ),
    ],
    [
        ("title", "Halyard Cloud: Enterprise tier and add-ons"),
        ("heading", "Enterprise"),
        (
            "text",
            "Enterprise is the tier for companies that run Halyard across several business units. It "
            "includes unlimited named users, the premium connectors, SCIM user provisioning, audit "
            "log export, three sandbox environments, a choice of data residency region, 24x7 support "
            "with a one-hour response to severity 1 incidents, a named technical account manager "
            "and a 99.95% monthly availability commitment with service credits.",
        ),
        ("heading", "Add-ons"),
        (
            "bullet",
            "Customer-Managed Keys: encryption keys held in the customer's own cloud key service "
            "(Enterprise only).",
        ),
        ("bullet", "Extended Retention: keeps data for up to ten years instead of three."),
        ("bullet", "Additional Sandbox: one more non-production environment, for any tier above Essentials."),
        ("bullet", "Premium Support Plus: a designated support engineer and quarterly health checks."),
        ("heading", "Upgrades"),
        (
            "text",
            "A customer may upgrade its tier at any time. The upgrade is co-termed with the current "
            "subscription: the customer pays the difference for the remaining months, and the next "
            "renewal is priced at the new tier.",
        ),
    ],
    [
        ("title", "Halyard Cloud: solution suites and implementation"),
        (
            "text",
            "Solution suites are industry applications built on Halyard Cloud, sold per suite on top "
            "of any tier. They are grouped by industry:",
        ),
        (
            "bullet",
            "Energy and utilities: Meter Data Management, Asset Performance Suite, Grid Analytics Platform.",
        ),
        (
            "bullet",
            "Transportation: Fleet Analytics Platform, Route Optimization Suite, Telematics Data Hub.",
        ),
        ("bullet", "Insurance: Claims Triage Automation, Underwriting Workbench, Agent Portal."),
        ("bullet", "Healthcare: Claims Automation, Care Coordination Suite, Patient Engagement Portal."),
        (
            "bullet",
            "Food and beverage: Supply Chain Visibility, Trade Promotion Analytics, Traceability Platform.",
        ),
        ("bullet", "Telecommunications: Network Analytics, Field Workforce Suite, Billing Insights."),
        (
            "bullet",
            "Media, education, hospitality, construction, manufacturing and banking suites on request.",
        ),
        ("heading", "Implementation packages"),
        (
            "text",
            "QuickStart is a fixed-fee six-week implementation for one suite and up to five data "
            "sources. Guided is a twelve-week implementation with a Halyard solution architect and "
            "weekly steering meetings. Enterprise Transformation is a scoped program for several "
            "business units, priced by statement of work. Training seats are included for every "
            "named administrator.",
        ),
    ],
]

SECURITY: list[Page] = [
    [
        ("title", "Halyard Cloud: security and compliance overview"),
        ("heading", "Certifications and attestations"),
        (
            "text",
            "Halyard Cloud holds a SOC 2 Type II report (security, availability and confidentiality), "
            "renewed every twelve months, and an ISO/IEC 27001 certificate. Customers can request "
            "the current SOC 2 Type II report under NDA from their account team. Halyard signs a "
            "HIPAA business associate agreement (BAA) with Enterprise customers that process "
            "protected health information; the BAA is not available on Essentials or Professional.",
        ),
        ("heading", "Data protection"),
        (
            "text",
            "Customer data is encrypted at rest with AES-256 and in transit with TLS 1.2 or later. "
            "Each customer's data is stored in a logically separate tenant. Enterprise customers "
            "choose a data residency region: United States, European Union (Frankfurt) or Canada; "
            "data and backups stay in that region. With the Customer-Managed Keys add-on, revoking "
            "the key makes the customer's data unreadable to Halyard within 15 minutes.",
        ),
        (
            "text",
            "Halyard never uses customer data to train models shared with other customers. Deleted "
            "data is purged from production within 30 days and from backups within 90 days.",
        ),
    ],
    [
        ("title", "Halyard Cloud: access, resilience and incident response"),
        ("heading", "Access control"),
        (
            "text",
            "Administrators assign roles with least privilege, and every administrative action is "
            "recorded in the audit log. Halyard staff access customer tenants only through a "
            "just-in-time approval that the customer can require to be granted by its own admins.",
        ),
        ("heading", "Resilience"),
        (
            "text",
            "Production runs in three availability zones. Backups are taken hourly and tested "
            "monthly by restore. The disaster recovery targets are a recovery time objective (RTO) "
            "of four hours and a recovery point objective (RPO) of one hour.",
        ),
        ("heading", "Vulnerability management and testing"),
        (
            "text",
            "An independent firm runs a penetration test of Halyard Cloud every year; customers may "
            "receive the executive summary under NDA. Critical vulnerabilities are patched within "
            "72 hours. Halyard runs a public bug bounty program.",
        ),
        ("heading", "Incident notification"),
        (
            "text",
            "Halyard notifies affected customers of a confirmed security incident involving their "
            "data within 48 hours, and sends a written root cause report within ten business days.",
        ),
    ],
]

INTEGRATIONS: list[Page] = [
    [
        ("title", "Halyard Cloud integrations catalog"),
        (
            "text",
            "Halyard Cloud connects to business systems through managed connectors. Each connector "
            "syncs data in both directions where the source system allows it, on a schedule or by "
            "change events. The tier decides which connectors a customer may use.",
        ),
        ("heading", "Essentials connectors"),
        (
            "text",
            "The Essentials tier includes five standard connectors chosen from: Salesforce, HubSpot, "
            "Slack, Google Sheets, CSV and SFTP file drops, and Microsoft Outlook.",
        ),
        ("heading", "Professional connectors"),
        (
            "text",
            "The Professional tier includes every standard connector: the Essentials list plus "
            "Zendesk, ServiceNow, Jira, Microsoft Teams, Snowflake, PostgreSQL and Amazon S3.",
        ),
        ("heading", "Enterprise connectors"),
        (
            "text",
            "The Enterprise tier adds the premium connectors: SAP S/4HANA, Workday, Databricks, "
            "Oracle E-Business Suite and Kafka event streams, plus private network connectivity and "
            "the Connector SDK for building custom connectors.",
        ),
        ("heading", "Sync limits"),
        (
            "text",
            "Standard connectors sync at most every 15 minutes; premium connectors and event streams "
            "sync as changes happen, within about one minute. Each connector's field mapping is "
            "versioned and can be rolled back.",
        ),
        ("heading", "Identity"),
        (
            "text",
            "Single sign-on supports any SAML 2.0 or OpenID Connect identity provider (Okta, Microsoft "
            "Entra ID, Google Workspace). SCIM provisioning is available on the Enterprise tier.",
        ),
    ],
]

PRICING: list[Page] = [
    [
        ("title", "Pricing and discount policy"),
        ("heading", "List prices"),
        (
            "text",
            "All prices are annual subscription fees in US dollars. Essentials lists at $24,000 per "
            "year, Professional at $60,000 per year and Enterprise from $150,000 per year, depending "
            "on data volume. Each solution suite lists from $40,000 per year. Implementation "
            "packages: QuickStart $18,000, Guided $45,000, Enterprise Transformation by statement "
            "of work.",
        ),
        ("heading", "Packaging rules"),
        (
            "text",
            "Every order includes exactly one platform tier. Solution suites and add-ons co-term with "
            "the platform subscription. Pilots run at most 90 days and cost 10% of the first-year "
            "fee; when the customer moves to production within 90 days of the pilot's end, 50% of "
            "the pilot fee is credited against the first-year fee.",
        ),
    ],
    [
        ("title", "Discount approval thresholds"),
        (
            "text",
            "Discounts are measured on the total first-year subscription fee against list price, "
            "before multi-year incentives. Services are discounted separately and at most 15%.",
        ),
        ("bullet", "Up to 10%: the account executive may approve."),
        ("bullet", "More than 10% and up to 20%: the regional sales director must approve."),
        ("bullet", "More than 20% and up to 30%: the VP of Sales must approve."),
        (
            "bullet",
            "More than 30%: the Chief Revenue Officer and the CFO must both approve through the deal desk.",
        ),
        (
            "text",
            "Approvals are requested in the CRM on the opportunity before the quote is sent. A quote "
            "sent without the required approval is not binding on Halyard Software.",
        ),
        (
            "text",
            "Quarter-end deals with non-standard discounts or terms must reach the deal desk at least "
            "five business days before the quarter ends.",
        ),
    ],
    [
        ("title", "Multi-year terms, payment terms and renewals"),
        ("heading", "Multi-year terms"),
        (
            "text",
            "A two-year commitment earns an additional 5% off the subscription fee, and a three-year "
            "commitment an additional 8%, on top of any approved discount. Multi-year contracts lock "
            "the annual fee for the whole term. Terms longer than three years need deal desk approval.",
        ),
        ("heading", "Payment terms"),
        (
            "text",
            "The standard is annual billing in advance, payable net 30. Net 45 needs approval by the "
            "finance controller. Net 60 or longer needs the CFO's approval. Quarterly billing is "
            "available for subscriptions of at least $100,000 per year, with a 3% surcharge. "
            "Milestone payments apply only to services.",
        ),
        ("heading", "Renewals"),
        (
            "text",
            "Renewals are quoted 120 days before the end of the term. The standard renewal uplift is "
            "7%; an account executive may lower it to 3% without approval. A flat renewal needs the "
            "regional sales director's approval.",
        ),
    ],
]

SUPPORT: list[Page] = [
    [
        ("title", "Support plans and escalations"),
        (
            "text",
            "Every Halyard Cloud subscription includes support through the support portal. The tier "
            "decides the hours and the response targets; the severity of an issue decides its "
            "priority. Response targets are measured from the moment the ticket is filed.",
        ),
        ("heading", "Severity definitions"),
        ("bullet", "Severity 1: production is unavailable, or customer data is lost or at risk."),
        ("bullet", "Severity 2: a major feature is degraded and there is no workaround."),
        (
            "bullet",
            "Severity 3: a partial issue with a workaround, or a connector sync that retries on its own.",
        ),
        ("bullet", "Severity 4: a question, a how-to or a feature request."),
        ("heading", "Response targets by tier"),
        (
            "text",
            "Essentials answers every severity within one business day. Professional answers "
            "severity 1 within four hours around the clock on weekdays and severity 2 within eight "
            "hours. Enterprise answers severity 1 within one hour and severity 2 within four hours, "
            "every day of the year, and keeps a severity 1 bridge call open until service is restored.",
        ),
        ("heading", "Escalating a ticket"),
        (
            "text",
            "An account executive or the customer escalates a ticket with the Escalate button in the "
            "support portal. An escalation manager takes it within two business hours (within 30 "
            "minutes for Enterprise customers) and sends a written status at least daily until the "
            "ticket is resolved. The next step is the Director of Support, then the VP of Customer "
            "Success.",
        ),
    ],
    [
        ("title", "Customer success cadence and account health"),
        ("heading", "Onboarding"),
        (
            "text",
            "A customer success manager (CSM) holds the onboarding kickoff within five business days "
            "of signature and agrees on success criteria that are reviewed at go-live.",
        ),
        ("heading", "Business reviews"),
        (
            "text",
            "The CSM runs quarterly business reviews for customers with more than $100,000 in annual "
            "subscription fees, and a yearly review for every other customer. The account executive "
            "joins every business review held within six months of a renewal.",
        ),
        ("heading", "Health score"),
        (
            "text",
            "Each account has a health score from 0 to 100, computed weekly from active users, open "
            "severity 1 and 2 tickets, connector sync failures and days to renewal. A health score "
            "below 60 triggers an account review with the account executive and the CSM within one "
            "week.",
        ),
        ("heading", "Renewal risk"),
        (
            "text",
            "While an account has open escalations, the account team leads with the fix: expansion "
            "proposals wait until the escalations are closed, and renewal outreach names the "
            "escalation manager and the current status.",
        ),
    ],
]

COMPETITION: list[Page] = [
    [
        ("title", "Competitive landscape"),
        (
            "text",
            "Halyard meets four named competitors and, often, in-house builds. This page sums up where "
            "each is strong and how Halyard wins against it.",
        ),
        ("heading", "Stratacore"),
        (
            "text",
            "Stratacore sells broad CRM analytics suites and discounts heavily to displace "
            "incumbents, often above 30%. Win with time to value: Halyard's QuickStart goes live in "
            "six weeks where Stratacore projects run six months, and with migration of historical data.",
        ),
        ("heading", "Quantivo"),
        (
            "text",
            "Quantivo is strongest in education, banking fraud models and trade promotions, and sells "
            "through state purchasing contracts. Win with integrations: Quantivo has no SAP S/4HANA "
            "or Workday connector, and its models cannot be explained to regulators line by line.",
        ),
        ("heading", "Veridian Cloud"),
        (
            "text",
            "Veridian Cloud bundles analytics with ERP and utility billing upgrades and undercuts "
            "renewal prices by 10 to 15%. Win with switching risk and reference customers in utilities.",
        ),
        ("heading", "Pallas BI"),
        (
            "text",
            "Pallas BI is a dashboard tool, not a workflow platform. Win by showing automated "
            "workflows and data quality checks that dashboards cannot provide.",
        ),
        ("heading", "In-house builds"),
        (
            "text",
            "Against an internal build, share a build-versus-buy cost model: a team of five to six "
            "engineers for over a year, plus on-call and maintenance, usually costs more than an "
            "Enterprise subscription.",
        ),
    ],
]

CUSTOMER_REFERENCES: list[Page] = [
    [
        ("title", "Customer references and case studies"),
        (
            "text",
            "These customers have agreed to be named and to take reference calls. Ask the customer "
            "marketing team before scheduling a call; each reference customer takes at most two "
            "calls a quarter.",
        ),
        ("heading", "Prairie Wind Energy: predictive maintenance for wind turbines"),
        (
            "text",
            "Prairie Wind Energy runs the Asset Performance Suite on 310 turbines. In its first year, "
            "predictive alerts avoided two gearbox failures, and unplanned downtime fell 23%. "
            "Prairie Wind Energy went live in eight weeks with a Guided implementation.",
        ),
        ("heading", "VanArsdel Data: retiring a Hadoop cluster"),
        (
            "text",
            "VanArsdel Data moved 60 data pipelines from a legacy Hadoop cluster to Halyard Cloud "
            "with no data loss and cut its data platform costs by 31%. VanArsdel Data reference calls "
            "are with Ana Romero, CIO.",
        ),
        ("heading", "Stonebridge Builders: project controls"),
        (
            "text",
            "Stonebridge Builders uses the Project Controls Platform on 85 active projects; cost "
            "overruns are reported weekly instead of monthly, and change orders are approved 40% "
            "faster.",
        ),
        ("heading", "Alpine Ski House: guest experience"),
        (
            "text",
            "Alpine Ski House combined lift, rental and lodging data with the Guest Experience Suite "
            "and raised repeat visits by 12% in one season.",
        ),
    ],
]

# (question, file, answer_contains): the page is found from the text, which must hold the snippet on
# exactly one page of the whole corpus.
QUESTIONS: list[tuple[str, str, str]] = [
    (
        "Who is the economic buyer at Coho Winery?",
        "account_notes_q4_1.pdf",
        "Oscar Brennan, CFO: economic buyer",
    ),
    (
        "Who is our champion at Crestline Communications?",
        "account_notes_q4_1.pdf",
        "Theo Marsh, Director of Field Operations: champion",
    ),
    (
        "Who is the economic buyer at Golden Furrow Foods and what budget did they approve?",
        "account_notes_q4_1.pdf",
        "Martin Achebe, CFO: economic buyer",
    ),
    (
        "What did the CFO of Blackrock Mesa Contractors ask for in the last meeting?",
        "account_notes_q4_1.pdf",
        "asked for a three-year price with annual billing",
    ),
    (
        "What data retention does City Power & Light need?",
        "account_notes_q4_1.pdf",
        "seven years of interval data retention",
    ),
    (
        "What results did the Underwriting Workbench pilot show at Humongous Insurance?",
        "account_notes_q4_1.pdf",
        "Quote turnaround fell from 5.2 days to 2.9 days",
    ),
    (
        "When does Ironvale Components decide on the MES expansion?",
        "account_notes_q4_1.pdf",
        "take the expansion to the board on December 10",
    ),
    (
        "What liability cap did Keystone Mutual agree to?",
        "account_notes_q4_2.pdf",
        "cap liability at 12 months of fees",
    ),
    (
        "Which competitor is approaching Lakeside State University?",
        "account_notes_q4_2.pdf",
        "Quantivo is on the state contract",
    ),
    (
        "What discount did Litware Systems ask for?",
        "account_notes_q4_2.pdf",
        "Yuki Fischer asked for 25% off",
    ),
    (
        "By when must Lucerne Publishing sign?",
        "account_notes_q4_2.pdf",
        "signatures are needed by December 19",
    ),
    (
        "Who will use Revenue Management day to day at Margie's Travel?",
        "account_notes_q4_2.pdf",
        "Carlos Mendes, Revenue Manager: primary user",
    ),
    (
        "What pricing did Prairie Wind Energy ask for on Phase 2?",
        "account_notes_q4_2.pdf",
        "Phase 2 pricing per megawatt",
    ),
    (
        "Who is the technical evaluator at Relecloud Media?",
        "account_notes_q4_2.pdf",
        "Omar Rossi, Director of IT: technical evaluator",
    ),
    (
        "When is the Riverbend Dairy Cooperative board presentation?",
        "account_notes_q4_3.docx",
        "present to the board on December 1",
    ),
    (
        "What does the Chief Risk Officer of Silverline Capital still need?",
        "account_notes_q4_3.docx",
        "asked for the penetration test summary",
    ),
    (
        "What contract term does Summit Gas & Electric want for its renewal?",
        "account_notes_q4_3.docx",
        "five-year renewal with fixed annual fees",
    ),
    (
        "What condition did Trey Research Clinics set for a three-year renewal?",
        "account_notes_q4_3.docx",
        "prior authorization workflows go live by March",
    ),
    (
        "How does VanArsdel Data want to pay for Phase 2?",
        "account_notes_q4_3.docx",
        "asked for payments tied to milestones",
    ),
    (
        "Who is the economic buyer at Skyward Telecom?",
        "account_notes_q4_3.docx",
        "Gabriel Quinn, COO: economic buyer",
    ),
    (
        "Why is Northwind Logistics a renewal risk?",
        "account_notes_watchlist.md",
        "four urgent or high support tickets open",
    ),
    (
        "Which integrations does the Enterprise tier include?",
        "integrations_catalog.md",
        "adds the premium connectors: SAP S/4HANA, Workday, Databricks",
    ),
    (
        "Does the Professional tier include the Zendesk and ServiceNow connectors?",
        "integrations_catalog.md",
        "Essentials list plus Zendesk, ServiceNow, Jira",
    ),
    (
        "What discount needs VP approval?",
        "pricing_discount_policy.docx",
        "More than 20% and up to 30%: the VP of Sales must approve.",
    ),
    (
        "What extra discount does a three-year commitment earn?",
        "pricing_discount_policy.docx",
        "a three-year commitment an additional 8%",
    ),
    (
        "Which payment terms need the CFO's approval?",
        "pricing_discount_policy.docx",
        "Net 60 or longer needs the CFO's approval",
    ),
    (
        "How much of a pilot fee is credited when the customer goes to production?",
        "pricing_discount_policy.docx",
        "50% of the pilot fee is credited",
    ),
    (
        "What availability does the Enterprise tier commit to?",
        "product_tiers.pdf",
        "99.95% monthly availability commitment with service credits",
    ),
    (
        "Does the Essentials tier include single sign-on?",
        "product_tiers.pdf",
        "single sign-on is not included in Essentials",
    ),
    (
        "How long does a QuickStart implementation take?",
        "product_tiers.pdf",
        "fixed-fee six-week implementation",
    ),
    (
        "What are the disaster recovery targets (RTO and RPO)?",
        "security_compliance.pdf",
        "recovery time objective (RTO) of four hours",
    ),
    (
        "Which data residency regions can a customer choose?",
        "security_compliance.pdf",
        "United States, European Union (Frankfurt) or Canada",
    ),
    (
        "Can a Professional customer sign a HIPAA BAA?",
        "security_compliance.pdf",
        "the BAA is not available on Essentials or Professional",
    ),
    (
        "How fast must Enterprise support answer a severity 1 ticket?",
        "support_and_success.pdf",
        "Enterprise answers severity 1 within one hour",
    ),
    (
        "Which customers get quarterly business reviews?",
        "support_and_success.pdf",
        "quarterly business reviews for customers with more than $100,000",
    ),
    (
        "What health score triggers an account review?",
        "support_and_success.pdf",
        "below 60 triggers an account review",
    ),
    ("How do we win against Stratacore?", "competitive_landscape.md", "Win with time to value"),
    (
        "Which reference customer retired a Hadoop cluster, and what did it save?",
        "customer_references.txt",
        "cut its data platform costs by 31%",
    ),
    (
        "How much did unplanned downtime fall at Prairie Wind Energy?",
        "customer_references.txt",
        "unplanned downtime fell 23%",
    ),
]


@dataclass(frozen=True)
class Document:
    filename: str
    title: str
    description: str
    pages: list[Page]
    accounts: tuple[tuple[str, int], ...] = ()  # (account name, page) for account notes


def money(amount: float) -> str:
    return f"${amount:,.0f}"


def crm_deals() -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The reference deal of each reference account, and every account's open deals, from the CRM."""
    data = json.loads(CRM_DATA.read_text(encoding="utf-8"))
    reference: dict[str, dict[str, Any]] = {}
    open_deals: dict[str, list[dict[str, Any]]] = {}
    for record in data["opportunities"]:
        if is_reference_match(record, int(data["base_year"])):
            reference[record["account_name"]] = record
        if not record["stage"].startswith("Closed"):
            open_deals.setdefault(record["account_name"], []).append(record)
    if len(reference) != 20:
        raise RuntimeError(f"expected the CRM's 20 reference accounts, found {len(reference)}")
    return reference, open_deals


def deal_product(record: dict[str, Any]) -> str:
    """The part of a deal name after "<account> — ", which Helvetica can print."""
    return record["name"].split(" — ", 1)[-1]


def account_page(plan: AccountPlan, deal: dict[str, Any] | None, open_deals: list[dict[str, Any]]) -> Page:
    """One account plan; each paragraph (a list: its section) names the account, so a passage
    retrieved alone still does."""
    name = plan.name
    record = deal or open_deals[0]
    overview = f"{name} is {plan.relationship}"
    if deal:
        close = date.fromisoformat(deal["close_date"])
        overview += (
            f" The open Q4 opportunity at {name}, {deal_product(deal)}, is worth {money(deal['amount'])}"
            f" and is in {deal['stage']} with a target close date of {close:%B} {close.day}; the "
            f"account owner is {deal['owner_name']}."
        )
    else:
        pipeline = "; ".join(f"{deal_product(d)} ({d['stage']}, {money(d['amount'])})" for d in open_deals)
        overview += f" Open opportunities at {name}: {pipeline}."
    page: Page = [
        ("title", f"{name}: account plan"),
        ("text", f"Account: {name}. Industry: {record['account_industry']}. Account team: {VENDOR} sales."),
        ("heading", "Overview"),
        ("text", overview),
        ("heading", "Stakeholders"),
        ("text", f"The buying group at {name}:"),
        *[("bullet", f"{person}, {title}: {role}") for person, title, role in plan.stakeholders],
        ("heading", "Open concerns"),
        ("text", f"Open concerns at {name}: {'; '.join(plan.concerns)}."),
        ("heading", "Last meeting"),
        ("text", f"Last meeting with {name}: {plan.meeting}"),
        ("heading", "Renewal and competition"),
        ("text", plan.context),
        ("heading", "Next steps"),
        *[("bullet", step) for step in plan.next_steps],
    ]
    for section in sections(page):
        texts = [text for kind, text in section if kind == "text"] or [" ".join(text for _, text in section)]
        if not all(name in text for text in texts):
            raise RuntimeError(f"a passage of {name}'s account plan does not name it: {section}")
    return page


def sections(page: Page) -> list[list[Block]]:
    """A page's passages: each heading with the blocks under it."""
    parts: list[list[Block]] = [[]]
    for block in page:
        if block[0] == "heading":
            parts.append([])
        parts[-1].append(block)
    return [part for part in parts if part]


def documents() -> list[Document]:
    """Every document of the corpus, in manifest order."""
    reference, open_deals = crm_deals()
    plans = {plan.name: plan for plan in REFERENCE_PLANS}
    if set(plans) != set(reference):
        raise RuntimeError(
            f"account plans do not match the reference accounts: {set(plans) ^ set(reference)}"
        )
    names = sorted(plans)
    groups = [names[:7], names[7:14], names[14:]]
    notes: list[Document] = []
    for number, group in enumerate(groups, start=1):
        pages = [account_page(plans[name], reference[name], []) for name in group]
        notes.append(
            Document(
                f"account_notes_q4_{number}.{'docx' if number == 3 else 'pdf'}",
                f"Account notes, Q4 negotiations ({number} of 3)",
                f"Account plans for Q4 deals in negotiation, {group[0]} to {group[-1]}: stakeholders, "
                "concerns, last meeting, competition and next steps; one account a page.",
                pages,
                tuple((name, page) for page, name in enumerate(group, start=1)),
            )
        )
    watch = [account_page(plan, None, open_deals[plan.name]) for plan in WATCHLIST_PLANS]
    return [
        *notes,
        Document(
            "account_notes_watchlist.md",
            "Account notes: watch list",
            "Account plans for other accounts the sales team watches: escalations, stalled renewals "
            "and early-stage opportunities.",
            [[block for page in watch for block in page]],
            tuple((plan.name, 1) for plan in WATCHLIST_PLANS),
        ),
        Document(
            "product_tiers.pdf",
            "Product tiers",
            "Halyard Cloud tiers (Essentials, Professional, Enterprise), add-ons, solution suites and "
            "implementation packages.",
            PRODUCT_TIERS,
        ),
        Document(
            "security_compliance.pdf",
            "Security and compliance",
            "Certifications (SOC 2 Type II, ISO 27001, HIPAA BAA), data protection and residency, "
            "access control, disaster recovery targets and incident notification.",
            SECURITY,
        ),
        Document(
            "integrations_catalog.md",
            "Integrations catalog",
            "Which connectors each tier includes, sync limits and identity integrations.",
            INTEGRATIONS,
        ),
        Document(
            "pricing_discount_policy.docx",
            "Pricing and discount policy",
            "List prices, packaging and pilot rules, discount approval thresholds, multi-year "
            "incentives, payment terms and renewal uplifts.",
            PRICING,
        ),
        Document(
            "support_and_success.pdf",
            "Support and customer success",
            "Support severity definitions, response targets by tier, ticket escalation path, "
            "customer success cadence, account health score and renewal risk.",
            SUPPORT,
        ),
        Document(
            "competitive_landscape.md",
            "Competitive landscape",
            "Named competitors (Stratacore, Quantivo, Veridian Cloud, Pallas BI), in-house builds, "
            "and how to win against each.",
            COMPETITION,
        ),
        Document(
            "customer_references.txt",
            "Customer references",
            "Reference customers and case studies with measured results.",
            CUSTOMER_REFERENCES,
        ),
    ]


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="Letter")
        self.document_title = title

    def header(self) -> None:
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(110)
        self.cell(0, 5, f"{VENDOR} | {self.document_title}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(110)
        self.cell(0, 5, f"Internal use only | Page {self.page_no()} of {{nb}}", align="C")


def render_pdf(document: Document) -> bytes:
    pdf = _Pdf(document.title)
    pdf.set_compression(False)  # zlib builds differ in their output; plain streams do not
    pdf.set_creation_date(FIXED_TIME)
    pdf.set_title(document.title)
    pdf.set_author(AUTHOR)
    pdf.set_margins(20, 15, 20)
    pdf.set_auto_page_break(True, margin=20)
    styles = {"title": ("B", 15, 8), "heading": ("B", 11, 6), "text": ("", 10, 5), "bullet": ("", 10, 5)}
    for page in document.pages:
        pdf.add_page()
        for kind, text in page:
            style, size, height = styles[kind]
            pdf.set_font("Helvetica", style, size)
            if kind == "heading":
                pdf.ln(2)
            if kind == "bullet":
                pdf.set_x(pdf.l_margin + 4)
                text = f"- {text}"
            pdf.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
    if pdf.page_no() != len(document.pages):
        raise RuntimeError(f"{document.filename}: a page overflowed ({pdf.page_no()} pages printed)")
    return bytes(pdf.output())


def stable_zip(data: bytes) -> bytes:
    """The same archive with one fixed timestamp on every entry (python-docx stamps the clock's)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def render_docx(document: Document) -> bytes:
    docx = docx_document()
    properties = docx.core_properties
    properties.title = document.title
    properties.author = properties.last_modified_by = AUTHOR
    properties.created = properties.modified = properties.last_printed = FIXED_TIME.replace(tzinfo=None)
    properties.revision = 1
    for number, page in enumerate(document.pages):
        if number:
            docx.add_page_break()
        for kind, text in page:
            if kind == "title":
                docx.add_heading(text, level=1)
            elif kind == "heading":
                docx.add_heading(text, level=2)
            else:
                docx.add_paragraph(text, style="List Bullet" if kind == "bullet" else None)
    buffer = io.BytesIO()
    docx.save(buffer)
    return stable_zip(buffer.getvalue())


def render_text(document: Document) -> bytes:
    """Markdown, or plain text with underlined headings: one page."""
    if len(document.pages) != 1:
        raise RuntimeError(f"{document.filename}: text files have one page")
    markdown = document.filename.endswith(".md")
    lines: list[str] = []
    previous = ""
    for kind, text in document.pages[0]:
        if lines and not (kind == "bullet" and previous == "bullet"):
            lines.append("")
        if kind == "bullet":
            lines.append(f"- {text}")
        elif kind in ("title", "heading") and markdown:
            lines.append(f"{'#' if kind == 'title' else '##'} {text}")
        elif kind in ("title", "heading"):
            lines += [text, ("=" if kind == "title" else "-") * len(text)]
        else:
            lines.append(text)
        previous = kind
    return ("\n".join(lines) + "\n").encode("utf-8")


RENDERERS = {".pdf": render_pdf, ".docx": render_docx, ".md": render_text, ".txt": render_text}


def normalize(text: str) -> str:
    return " ".join(text.split())


def label_questions(docs: list[Document]) -> list[dict[str, Any]]:
    """Each question with the one page whose text holds its answer."""
    pages = [
        (document.filename, number, normalize(" ".join(text for _, text in page)))
        for document in docs
        for number, page in enumerate(document.pages, start=1)
    ]
    labelled = []
    for index, (question, filename, answer) in enumerate(QUESTIONS, start=1):
        hits = [(name, number) for name, number, text in pages if normalize(answer) in text]
        if len(hits) != 1 or hits[0][0] != filename:
            raise RuntimeError(f"{answer!r} must be on exactly one page, of {filename}; found {hits}")
        labelled.append(
            {
                "id": f"q{index:02d}",
                "question": question,
                "filename": filename,
                "page": hits[0][1],
                "answer_contains": answer,
            }
        )
    return labelled


def render() -> dict[Path, bytes]:
    """Each output file's bytes: the documents, their manifest and the question set."""
    docs = documents()
    files = {
        OUTPUT_DIR / document.filename: RENDERERS[Path(document.filename).suffix](document)
        for document in docs
    }
    manifest = {
        "generated_by": "tools/generate_documents.py",
        "documents": [
            {
                "filename": document.filename,
                "content_type": CONTENT_TYPES[Path(document.filename).suffix],
                "description": document.description,
                "pages": len(document.pages),
                **(
                    {"accounts": [{"name": name, "page": page} for name, page in document.accounts]}
                    if document.accounts
                    else {}
                ),
            }
            for document in docs
        ],
    }
    questions = {
        "generated_by": "tools/generate_documents.py",
        "documents": OUTPUT_DIR.relative_to(ROOT).as_posix(),
        "metric": "recall@5: the labelled page is among the five retrieved passages",
        "questions": label_questions(docs),
    }
    files[OUTPUT_DIR / "manifest.json"] = datafile.json_text(manifest).encode()
    files[QUESTIONS_OUTPUT] = datafile.json_text(questions).encode()
    return files


def main(argv: list[str] | None = None) -> int:
    return datafile.main(render, argv, script=__file__, doc=__doc__, owned_dir=OUTPUT_DIR)


if __name__ == "__main__":
    raise SystemExit(main())
