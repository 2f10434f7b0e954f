"""`python -m tests.fakes` / `make fake-salesforce`: run the fake Salesforce org for a local demo.

It is loaded with the demo organisation's opportunities (the same Salesforce ids as
`manage.py seed_demo`: 006DM…, accounts 001DM…, EMs 005DM…), plus a little Salesforce-side
activity — new opportunities, changed stages and amounts, a call changed in Salesforce, one
deletion — so the first sync shows a pull; edit an EM call in the app, press Sync now in the admin,
and watch the PATCH arrive here. Prints the settings that point the app at it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import sys
import tempfile
import threading
from decimal import Decimal
from pathlib import Path

from tests.fakes.fake_salesforce import FakeSalesforce, now
from tests.fakes.setup import make_jwt_key

CONSUMER_KEY = "fake-consumer-key"
CONSUMER_SECRET = "fake-consumer-secret"
USERNAME = "integration@fake-salesforce.example"
PASSWORD = "fake-password"
STATE_DIR = Path(tempfile.gettempdir()) / "ps-pipeline-fake-salesforce"


def load_from_demo_database(fake: FakeSalesforce) -> int:
    """Copy the demo opportunities from the app's database (run `make seed` first); 0 if none."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from engagements.models import Opportunity
    from people.models import Person

    for person in Person.objects.exclude(salesforce_user_id=""):
        fake.add_user(person.salesforce_user_id, name=person.name, email=person.email)
    owners: dict[tuple[str, str], str] = {}
    count = 0
    for opp in Opportunity.objects.filter(salesforce_id__startswith="006DM").select_related(
        "account", "engagement_manager"
    ):
        if opp.account.salesforce_id and opp.account.salesforce_id not in fake.state.accounts:
            fake.add_account(opp.account.salesforce_id, name=opp.account.name)
        owner_key = (opp.owner_name, opp.owner_email)
        if any(owner_key) and owner_key not in owners:
            owners[owner_key] = fake.add_user(name=opp.owner_name, email=opp.owner_email)
        em = opp.engagement_manager
        fake.add_opportunity(
            opp.salesforce_id,
            Name=opp.name,
            AccountId=opp.account.salesforce_id,
            OwnerId=owners.get(owner_key),
            StageName=opp.stage,
            Type=opp.type or None,
            RecordTypeId=fake.record_type_id(opp.record_type or "Professional Services"),
            CloseDate=opp.close_date,
            Amount=opp.amount,
            CurrencyIsoCode=opp.currency,
            Probability=Decimal(opp.probability) if opp.probability is not None else None,
            ForecastCategoryName=opp.forecast_category or None,
            IsClosed=opp.is_closed,
            IsWon=opp.is_won,
            Engagement_Manager__c=(em.salesforce_user_id or None) if em else None,
            EM_Confidence__c=opp.em_confidence,
            EM_Confidence_Rationale__c=opp.em_confidence_rationale or None,
            Scoping_Issue_Link__c=opp.scoping_issue_link or None,
            SystemModstamp=now() - dt.timedelta(days=1),
        )
        count += 1
    return count


def salesforce_side_activity(fake: FakeSalesforce, rng: random.Random) -> list[str]:
    """What happened in Salesforce since the app last looked: the first sync pulls these."""
    notes: list[str] = []
    ids = sorted(fake.state.opportunities)
    accounts = sorted(fake.state.accounts)
    ems = sorted(u for u in fake.state.users if u.startswith("005DM"))
    for i in range(5):
        new_id = f"006DM{1000 + i:013d}"
        fake.add_opportunity(
            new_id,
            Name=f"New in Salesforce — Health Check {i + 1}",
            AccountId=rng.choice(accounts) if accounts else None,
            StageName="Qualification",
            CloseDate=(now() + dt.timedelta(days=45 + 10 * i)).date(),
            Amount=Decimal(25000 + 5000 * i),
            Probability=Decimal(10),
            Engagement_Manager__c=rng.choice(ems) if ems and i % 2 == 0 else None,
        )
        notes.append(f"created {new_id}")
    open_ids = [i for i in ids if not fake.state.opportunities[i]["IsClosed"]]
    for opp_id in rng.sample(open_ids, min(3, len(open_ids))):
        record = fake.opportunity(opp_id)
        fake.update_opportunity(
            opp_id, StageName="Negotiation", Amount=(record["Amount"] or Decimal(0)) + Decimal(10000)
        )
        notes.append(f"moved {opp_id} to Negotiation, amount +10,000")
    if len(open_ids) > 3:
        opp_id = open_ids[3]
        fake.update_opportunity(
            opp_id,
            EM_Confidence__c="Green",
            EM_Confidence_Rationale__c="Customer's CFO signed off (changed in Salesforce).",
        )
        notes.append(f"set EM confidence on {opp_id} to Green in Salesforce")
    if len(open_ids) > 4:
        fake.delete_opportunity(open_ids[4])
        notes.append(f"deleted {open_ids[4]}")
    return notes


def churn(fake: FakeSalesforce, every: float, stop: threading.Event) -> None:
    """Keep Salesforce busy: every few seconds someone moves a stage or an amount."""
    rng = random.Random()
    stages = ["Qualification", "Discovery", "Solution Proposal", "Negotiation", "Contracting"]
    while not stop.wait(every):
        with fake.lock:
            open_ids = [
                k for k, r in fake.state.opportunities.items() if not r["IsClosed"] and not r["IsDeleted"]
            ]
        if not open_ids:
            continue
        opp_id = rng.choice(open_ids)
        stage = rng.choice(stages)
        fake.update_opportunity(opp_id, StageName=stage)
        logging.getLogger("fake_salesforce").info("Salesforce user moved %s to %s", opp_id, stage)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument(
        "--demo", action="store_true", help="load the demo organisation from the app's database"
    )
    parser.add_argument("--generate", type=int, default=0, help="also load N generated opportunities")
    parser.add_argument("--churn", type=float, default=0, help="change a random stage every N seconds")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    fake = FakeSalesforce(host=args.host, port=args.port, verbose=True, ca_path=STATE_DIR / "ca.pem")
    key_path, certificate = make_jwt_key(STATE_DIR)
    fake.add_login(USERNAME, PASSWORD)
    fake.register_app(CONSUMER_KEY, CONSUMER_SECRET, certificate_pem=certificate, run_as=USERNAME)

    notes: list[str] = []
    loaded = load_from_demo_database(fake) if args.demo else 0
    if args.demo and not loaded:
        print("No demo opportunities in the app's database (run `make seed`); generating 150 instead.")
        fake.load_generated(150, prefix="006DM")
    if args.demo:
        notes = salesforce_side_activity(fake, random.Random(2026))
    if args.generate:
        fake.load_generated(args.generate, prefix="006GN")

    fake.start()
    stop = threading.Event()
    if args.churn:
        threading.Thread(target=churn, args=(fake, args.churn, stop), daemon=True).start()
    print(f"\nFake Salesforce org on {fake.url} with {len(fake.state.opportunities)} opportunities.")
    for note in notes:
        print(f"  Salesforce-side change waiting for the first pull: {note}")
    print(
        "\nPoint PS Pipeline at it — put these in .env (or export them) and restart `make run`,\n"
        "then log in as admin and press Sync now on /admin/salesforce/syncrun/health/:\n"
    )
    print(f"SALESFORCE_LOGIN_URL={fake.url}")
    print(f"SALESFORCE_CA_BUNDLE={fake.ca_path}")
    print("SALESFORCE_AUTH_FLOW=password")
    print(f"SALESFORCE_CONSUMER_KEY={CONSUMER_KEY}")
    print(f"SALESFORCE_CONSUMER_SECRET={CONSUMER_SECRET}")
    print(f"SALESFORCE_USERNAME={USERNAME}")
    print(f"SALESFORCE_PASSWORD={PASSWORD}")
    print(
        "\nOther flows: SALESFORCE_AUTH_FLOW=jwt with SALESFORCE_PRIVATE_KEY_FILE="
        f"{key_path} (and the same key and username), or SALESFORCE_AUTH_FLOW=client_credentials "
        "(key and secret only)."
    )
    print(f"Inspect a record: curl --cacert {fake.ca_path} {fake.url}/_fake/opportunities/<id>")
    print("Requests are logged below. Ctrl-C stops the org (its data lives in memory only).\n")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        fake.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
