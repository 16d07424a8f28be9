"""A province-scale database for the benchmark: ``python -m bench.generate --cases 200000``.

Builds the schema through the real migrations and reference data (``upgrade_schema``,
``load_reference_data``), then writes, with bulk inserts (SQLAlchemy Core executemany on SQLite,
``COPY`` on PostgreSQL) and a deterministic ``random.Random(seed)``:

- 150 users (81 agents, 50 advisors, 8 airport staff, 8 supervisors, 2 administrators, one
  partner user), each agent with weekly availability at a service point of their region;
- per case (ids increase with the opening date, over five years): the person, household
  members, about 5 journal entries (``interactions``), consents, the search row (what
  ``cases.search.index_case`` writes, the FTS5 index filling itself through its triggers),
  needs assessments in versions, action plans with actions, referrals with their events,
  appointments with their ``slot_claims`` (and airport bookings for airport cases), reminders
  with their in-app notifications, and a few audit events.

At 200,000 cases that is about 1,000,000 journal entries, 500,000 reminders and 300,000
referrals. Every value is invented (illustrative); phones are in the fictional 555-01xx range
and e-mails on the exemple.ca domain. Dates follow the day the database is generated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select, text

from casework.core.text import digits, phonetic_key, tokens

LOCAL = ZoneInfo("America/Toronto")
PASSWORD = "bench-password-9"  # every generated account; a benchmark database only
# The TOTP secret of the accounts whose role requires a second factor (a benchmark database only).
TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCH22"
SECOND_FACTOR_ROLES = ("admin", "supervisor", "advisor")
HISTORY_DAYS = 5 * 365
HORIZON_DAYS = 45
CHUNK = 2_000
REMINDER_SHARE = 0.55  # cases per flush

# Agents per region (81: the ministry's plan deployed 81 agents and 60 regional advisors,
# reference/plan-action-ovt-2020-2022.txt l. 361; the split by region is illustrative), advisors
# (50, illustrative) and supervisors (8): Montréal carries most of the work. They do not grow with
# the cases: at 200,000 an agent has held about 2,500 over five years.
AGENTS_PER_REGION = {
    "06": 36, "16": 8, "13": 6, "03": 6, "07": 4, "05": 4, "15": 3, "14": 3, "12": 2,
    "04": 2, "17": 2, "02": 1, "01": 1, "08": 1, "09": 1, "11": 1,
}  # fmt: skip
ADVISORS_PER_REGION = {
    "06": 14, "16": 4, "13": 3, "03": 4, "07": 3, "05": 3, "15": 2, "14": 2, "12": 2,
    "04": 2, "17": 2, "02": 2, "01": 2, "08": 2, "09": 1, "10": 1, "11": 1,
}  # fmt: skip
SUPERVISOR_REGIONS = ("06", "06", "03", "16", "13", "05", "07", "04")
AIRPORT_STAFF = 8

GIVEN = [
    "Amina",
    "Hélène",
    "Mohamed",
    "Fatou",
    "Jean-Baptiste",
    "Olga",
    "Ahmad",
    "Maria",
    "José",
    "Nguyen",
    "Thi",
    "Aïcha",
    "Omar",
    "Sofía",
    "Yasmine",
    "Karim",
    "Léa",
    "Chloé",
    "Mamadou",
    "Ibrahim",
    "Ana",
    "Lucía",
    "Dmitri",
    "Svetlana",
    "Wei",
    "Xiu",
    "Priya",
    "Arjun",
    "Kofi",
    "Ama",
    "Rania",
    "Youssef",
    "Élodie",
    "François",
    "Zoé",
    "Noël",
    "Mariam",
    "Hassan",
    "Ngozi",
    "Chinedu",
    "Carlos",
    "Paola",
    "Hiba",
    "Samir",
    "Leïla",
    "Nadia",
    "Tariq",
    "Grace",
    "Esther",
    "Daniel",
    "Ruth",
    "Miguel",
    "Valentina",
    "Mehdi",
    "Inès",
    "Joël",
    "Anaïs",
    "Bao",
    "Linh",
    "Hoa",
    "Farah",
    "Kamal",
    "Rosa",
    "Pedro",
    "Aminata",
    "Moussa",
    "Awa",
    "Bintou",
    "Ousmane",
    "Seydou",
    "Yao",
]
FAMILY = [
    "Diallo",
    "Tremblay",
    "Nguyen",
    "Gagnon",
    "Haddad",
    "Roy",
    "Côté",
    "Bouchard",
    "Mendoza",
    "García",
    "Rodríguez",
    "Kaur",
    "Singh",
    "Traoré",
    "Koné",
    "Camara",
    "Sow",
    "Ba",
    "Touré",
    "Cissé",
    "Ndiaye",
    "Fall",
    "Mbaye",
    "Diop",
    "Benali",
    "Haddadi",
    "Saïdi",
    "Khalil",
    "Hussein",
    "Ahmadi",
    "Rahimi",
    "Karimi",
    "Hosseini",
    "Popescu",
    "Ionescu",
    "Kowalski",
    "Nowak",
    "Petrov",
    "Ivanova",
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Tran",
    "Pham",
    "Le",
    "Hoang",
    "Dang",
    "Okafor",
    "Mensah",
    "Asante",
    "Owusu",
    "Boateng",
    "Lefebvre",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Morin",
    "Fortin",
    "Gauthier",
    "Ouellet",
    "Girard",
    "Joseph",
    "Jean-Louis",
    "Pierre",
    "Charles",
    "Saint-Fleur",
    "Désir",
    "Étienne",
    "Lopez",
    "Hernández",
    "Martínez",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Morales",
    "Ortiz",
    "Castillo",
    "Núñez",
    "Aguilar",
    "Vargas",
    "Rojas",
]
CATEGORIES = ("economic",) * 5 + ("family",) * 2 + ("gar", "psr", "asylum", "temporary_worker")
LANGUAGES = ("fr", "en", "es", "ar", "fa", "zh", "vi", "pt", "ru", "uk", "tl", "wo", "ff")
COUNTRIES = ("FR", "MA", "DZ", "TN", "CM", "SN", "CI", "HT", "CO", "MX", "CN", "VN", "IR", "UA")
KINDS = ("note", "phone", "meeting", "email")
SUMMARIES = (
    "Appel de suivi : inscription à la francisation confirmée.",
    "Rencontre : recherche de logement, liste de ressources remise.",
    "Courriel reçu : demande de rendez-vous pour la reconnaissance des diplômes.",
    "Note : la personne a trouvé un emploi à temps partiel.",
    "Appel sans réponse, message laissé.",
    "Rencontre avec interprète : suivi du plan d'action.",
)


# --- Row writing -------------------------------------------------------------------------------


class Writer:
    """Buffers rows per table and writes them in bulk (executemany, or COPY on PostgreSQL)."""

    def __init__(self, connection, metadata, now: datetime):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.tables: dict[str, Table] = dict(metadata.tables)
        self.templates = {name: self._template(table, now) for name, table in self.tables.items()}
        self.buffers: dict[str, list[dict]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self.order = [table.name for table in metadata.sorted_tables]

    @staticmethod
    def _template(table: Table, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for column in table.columns:
            default = column.default
            if default is None:
                values[column.name] = None
            elif default.is_callable:
                values[column.name] = now if "utcnow" in repr(default.arg) else default.arg(None)
            else:
                values[column.name] = default.arg
        return values

    def add(self, table: str, **values: Any) -> None:
        row = dict(self.templates[table])
        row.update(values)
        self.buffers[table].append(row)

    def flush(self) -> None:
        for name in self.order:
            rows = self.buffers.pop(name, None)
            if not rows:
                continue
            self.counts[name] += len(rows)
            if self.postgres:
                self._copy(self.tables[name], rows)
            else:
                self._executemany(self.tables[name], rows)

    def _executemany(self, table: Table, rows: list[dict]) -> None:
        """SQLite: the DB-API's executemany with values already in SQLAlchemy's storage format
        (SQLAlchemy's own per-value processing would double the time)."""
        columns = list(rows[0])
        converters = [_sqlite_converter(table.columns[c]) for c in columns]
        statement = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        values = [
            tuple(
                v if v is None or f is None else f(v)
                for f, v in zip(converters, row.values(), strict=True)
            )
            for row in rows
        ]
        self.connection.connection.driver_connection.executemany(statement, values)

    def _copy(self, table: Table, rows: list[dict]) -> None:
        columns = list(rows[0])
        json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
        quoted = ", ".join(f'"{c}"' for c in columns)
        raw = self.connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(
                    [json.dumps(row[c]) if c in json_columns else row[c] for c in columns]
                )


def _sqlite_converter(column) -> Callable[[Any], Any] | None:
    kind = column.type.__class__.__name__
    if kind == "DateTime":
        return lambda value: value.isoformat(" ", "microseconds")
    if kind == "Date":
        return date.isoformat
    if kind == "Time":
        return lambda value: value.isoformat("microseconds")
    if kind == "JSON":
        return json.dumps
    return None


# --- Time helpers ------------------------------------------------------------------------------


def to_utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, LOCAL).astimezone(UTC).replace(tzinfo=None)


def working_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class Calendar:
    """Each agent's occupied quarter hours, so that generated slot claims never collide."""

    STARTS = [
        time(h, m)
        for h, m in [(8, 30), (8, 45), (9, 0), (9, 15), (9, 30), (9, 45), (10, 0), (10, 15),
                     (10, 30), (13, 0), (13, 15), (13, 30), (13, 45), (14, 0), (14, 15),
                     (14, 30), (14, 45), (15, 0)]
    ]  # fmt: skip

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.taken: dict[int, set[int]] = defaultdict(set)

    def place(self, agent_id: int, day: date, minutes: int) -> tuple[datetime, list[datetime]]:
        quarters = minutes // 15
        day = working_day(day)
        while True:
            for _ in range(6):
                start = to_utc(day, self.rng.choice(self.STARTS))
                first = int(start.timestamp()) // 900
                wanted = range(first, first + quarters)
                taken = self.taken[agent_id]
                if not any(q in taken for q in wanted):
                    taken.update(wanted)
                    return start, [start + timedelta(minutes=15 * i) for i in range(quarters)]
            day = working_day(day + timedelta(days=1))

    def forget_before(self, moment: datetime) -> None:
        limit = int(moment.timestamp()) // 900
        for agent_id, taken in self.taken.items():
            self.taken[agent_id] = {q for q in taken if q >= limit}


# --- The generator -----------------------------------------------------------------------------


# The action plan's in-demand occupations (CNP 2016, DESIGN §3), follow-ups' formats, statuses.
IN_DEMAND_CNP = ("4032", "3012", "5241", "7237", "2281", "7201", "2143", "7312", "7242")
FRENCH_FORMATS = ("full_time", "part_time", "online", "distance", "workplace")
EMPLOYMENT = (
    "employed_in_field",
    "employed_outside_field",
    "requalification",
    "looking_for_work",
    "studying",
    "not_in_labour_force",
)


class Generator:
    def __init__(self, connection, metadata, cases: int, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.cases = cases
        self.now = now
        self.today = now.date()
        self.out = Writer(connection, metadata, now)
        self.connection = connection
        self.calendar = Calendar(self.rng)
        self.ids: dict[str, int] = defaultdict(int)

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    # Reference data, as loaded by the seed.
    def load_reference(self) -> None:
        c = self.connection
        self.regions = dict(c.execute(text("SELECT code, id FROM regions")).all())
        points = c.execute(text("SELECT id, code, region_id FROM service_points")).all()
        self.points_by_region: dict[int, list[int]] = defaultdict(list)
        for point_id, code, region_id in points:
            if code == "AEROPORT-YUL":
                self.airport_point = point_id
            else:
                self.points_by_region[region_id].append(point_id)
        self.organisations = [row[0] for row in c.execute(text("SELECT id FROM organisations"))]
        needs = c.execute(text("SELECT id, domain_id FROM needs")).all()
        self.needs = [row[0] for row in needs]
        self.domains = sorted({row[1] for row in needs})
        self.types = {
            code: (type_id, minutes)
            for type_id, code, minutes in c.execute(
                text("SELECT id, code, duration_minutes FROM appointment_types")
            )
        }
        self.rules = dict(c.execute(text("SELECT code, id FROM follow_up_rules")).all())
        self.region_codes = {ident: code for code, ident in self.regions.items()}
        self.francisation = c.execute(
            text("SELECT id FROM organisations WHERE code = 'francisation_quebec'")
        ).scalar()

    def users(self) -> None:
        from casework.auth.passwords import hash_password

        digest = hash_password(PASSWORD)
        self.agents: list[tuple[int, int, int]] = []  # (user id, region id, service point id)
        self.advisors: list[int] = []
        self.airport_staff: list[int] = []

        def user(username: str, role: str, region: str, point=None, organisation=None) -> int:
            user_id = self.next_id("users")
            self.out.add(
                "users",
                id=user_id,
                username=username,
                full_name=f"{self.rng.choice(GIVEN)} {self.rng.choice(FAMILY)}",
                email=f"{username}@exemple.ca",
                role=role,
                region_id=self.regions[region],
                service_point_id=point,
                organisation_id=organisation,
                password_hash=digest,
                created_at=self.now - timedelta(days=HISTORY_DAYS),
            )
            if role in SECOND_FACTOR_ROLES:
                self.out.add(
                    "user_second_factors",
                    user_id=user_id,
                    secret=TOTP_SECRET,
                    confirmed_at=self.now - timedelta(days=HISTORY_DAYS),
                )
            return user_id

        user("bench.admin.1", "admin", "06")
        user("bench.admin.2", "admin", "03")
        number = 0
        for region, count in AGENTS_PER_REGION.items():
            region_id = self.regions[region]
            for _ in range(count):
                number += 1
                point = self.points_by_region[region_id][
                    number % len(self.points_by_region[region_id])
                ]
                agent_id = user(f"bench.agent.{number:03d}", "agent", region, point)
                self.agents.append((agent_id, region_id, point))
                for weekday in range(5):
                    for starts, ends in ((time(8, 30), time(12, 0)), (time(13, 0), time(16, 30))):
                        self.out.add(
                            "availability_windows",
                            id=self.next_id("availability_windows"),
                            agent_id=agent_id,
                            service_point_id=point,
                            region_id=region_id,
                            weekday=weekday,
                            starts_at=starts,
                            ends_at=ends,
                            modes=["in_person", "phone", "video"],
                            interpreter_languages=["es", "ar"] if number % 3 == 0 else [],
                        )
        number = 0
        for region, count in ADVISORS_PER_REGION.items():
            for _ in range(count):
                number += 1
                self.advisors.append(user(f"bench.advisor.{number:03d}", "advisor", region))
        for number, region in enumerate(SUPERVISOR_REGIONS, start=1):
            user(f"bench.supervisor.{number}", "supervisor", region)
        for number in range(1, AIRPORT_STAFF + 1):
            self.airport_staff.append(
                user(f"bench.airport.{number}", "airport", "06", self.airport_point)
            )
        user("bench.partner.1", "partner", "06", organisation=self.organisations[0])
        # Agents by region, weighted: the case's region follows its agent.
        self.out.flush()

    # One case and everything that hangs off it.
    def case(self, index: int) -> None:
        rng, now = self.rng, self.now
        case_id = self.next_id("cases")
        opened = now - timedelta(days=HISTORY_DAYS) * (1 - index / self.cases)
        opened -= timedelta(minutes=rng.randint(0, 600))
        age_days = (now - opened).days
        agent_id, region_id, point_id = rng.choice(self.agents)
        if age_days > 365:
            status = "closed" if rng.random() < 0.85 else rng.choice(("active", "on_hold"))
        elif age_days > 60:
            status = rng.choices(("active", "on_hold", "closed"), (70, 10, 20))[0]
        else:
            status = rng.choices(("new", "active", "on_hold"), (50, 45, 5))[0]
        closed_at = None
        if status == "closed":
            closed_at = min(now, opened + timedelta(days=rng.randint(60, 400)))
        last_day = closed_at or now
        origin = rng.choices(("airport", "walk_in", "partner", "abroad"), (25, 40, 20, 15))[0]

        given = rng.choice(GIVEN) + (f" {rng.choice(GIVEN)}" if rng.random() < 0.3 else "")
        family = rng.choice(FAMILY)
        phone = f"514 555-01{rng.randint(0, 99):02d}" if rng.random() < 0.8 else None
        email = None
        if rng.random() < 0.6:
            email = f"{tokens(given)[0]}.{tokens(family)[0]}{case_id % 997}@exemple.ca"
        born = date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28))
        arrival = (opened - timedelta(days=rng.randint(0, 120))).date()
        language = rng.choice(LANGUAGES)
        self.out.add(
            "persons",
            id=case_id,
            given_names=given,
            family_name=family,
            date_of_birth=born,
            gender=rng.choice(("woman", "man", "woman", "man", "undisclosed")),
            country_of_birth=rng.choice(COUNTRIES),
            citizenships=[rng.choice(COUNTRIES)],
            languages_spoken=[language, "fr"] if language != "fr" else ["fr"],
            preferred_language=language,
            french_level_self=rng.choice(("none", "beginner", "intermediate", "advanced")),
            immigration_category=rng.choice(CATEGORIES),
            arrival_date=arrival,
            phone=phone,
            email=email,
            city="Montréal",
            destination_region_id=region_id,
            interpreter_needed=language not in ("fr", "en") and rng.random() < 0.4,
            name_key=" ".join(sorted([*tokens(given), *tokens(family)])),
            family_phonetic=phonetic_key(family),
            given_phonetic=phonetic_key(given.split()[0]),
            created_at=opened,
            updated_at=opened,
        )
        number = f"AQ-{opened.year}-{case_id:06d}"
        next_follow_up = None
        if status != "closed":
            next_follow_up = self.today + timedelta(days=rng.randint(-30, 90))
        self.out.add(
            "cases",
            id=case_id,
            number=number,
            person_id=case_id,
            agent_id=agent_id,
            region_id=region_id,
            service_point_id=point_id,
            origin=origin,
            status=status,
            priority=rng.choices(("normal", "high", "urgent"), (85, 12, 3))[0],
            closing_reason=rng.choice(("goals_met", "moved", "no_contact")) if closed_at else None,
            next_follow_up_on=next_follow_up,
            opened_at=opened,
            closed_at=closed_at,
            updated_at=closed_at or opened,
        )
        # What cases.search.index_case writes (document_for), in bulk.
        words = [*tokens(given), *tokens(family), *tokens(number), *tokens(email)]
        phone_digits = digits(phone)
        if phone_digits:
            words += [phone_digits, phone_digits[-7:]]
        self.out.add("case_search", case_id=case_id, document=" ".join(dict.fromkeys(words)))

        for _ in range(rng.choices((0, 1, 2, 3), (50, 25, 15, 10))[0]):
            self.out.add(
                "household_members",
                id=self.next_id("household_members"),
                case_id=case_id,
                relationship=rng.choice(("spouse", "child", "child", "parent")),
                given_names=rng.choice(GIVEN),
                family_name=family,
                date_of_birth=date(rng.randint(1950, 2023), rng.randint(1, 12), 1),
            )
        span = max(1, int((last_day - opened).total_seconds()))
        for _ in range(rng.randint(1, 9)):
            moment = opened + timedelta(seconds=rng.randint(0, span))
            self.out.add(
                "interactions",
                id=self.next_id("interactions"),
                case_id=case_id,
                kind=rng.choice(KINDS),
                occurred_at=moment,
                duration_minutes=rng.choice((None, 15, 30, 60)),
                mode=rng.choice(("in_person", "phone", "video")),
                summary=rng.choice(SUMMARIES),
                author_id=agent_id,
                created_at=moment,
            )
        consents = []
        for purpose in rng.sample(
            ("share_partner", "share_mtess", "contact_phone"), rng.randint(0, 2)
        ):
            consent_id = self.next_id("consents")
            given_on = (opened + timedelta(days=1)).date()
            consents.append((consent_id, given_on))
            self.out.add(
                "consents",
                id=consent_id,
                case_id=case_id,
                purpose=purpose,
                given_on=given_on,
                method=rng.choice(("verbal", "signed", "electronic")),
                recorded_by_id=agent_id,
                recorded_at=opened + timedelta(days=1),
            )
        for action in ["case.opened"] + ["case.viewed"] * rng.randint(0, 3):
            self.out.add(
                "audit_events",
                id=self.next_id("audit_events"),
                occurred_at=opened + timedelta(days=rng.randint(0, 30)),
                actor_id=agent_id,
                actor_role="agent",
                action=action,
                target_type="case",
                target_id=str(case_id),
                details={},
            )

        ctx = (case_id, agent_id, region_id, point_id, status, opened, last_day)
        reminders: list[tuple[str, str, int, date, int]] = []
        appointments = self.appointments(ctx, origin, given, family, arrival, reminders)
        actions = self.assessments_and_plans(ctx, appointments, reminders)
        self.referrals(ctx, actions, reminders)
        self.follow_ups(ctx, arrival)
        for consent_id, given_on in consents:
            reminders.append(
                ("consent_expiring", "consent", consent_id, given_on + timedelta(days=335), 0)
            )
        if status != "closed":
            reminders.append(
                ("no_contact_60d", "case", case_id, (opened + timedelta(days=60)).date(), 1)
            )
        self.reminders(ctx, reminders)

    def appointments(self, ctx, origin, given, family, arrival, reminders) -> list[datetime]:
        rng = self.rng
        case_id, agent_id, region_id, point_id, status, opened, last_day = ctx
        starts = []
        plan = [("first_interview", opened.date() + timedelta(days=rng.randint(2, 20)))]
        if rng.random() < 0.3:
            plan.append(("follow_up", plan[0][1] + timedelta(days=rng.randint(60, 150))))
        for number, (code, day) in enumerate(plan):
            type_id, minutes = self.types[code]
            start, claims = self.calendar.place(agent_id, day, minutes)
            if start > self.now + timedelta(days=HORIZON_DAYS * 2):
                self.calendar.taken[agent_id].difference_update(
                    int(c.timestamp()) // 900 for c in claims
                )
                continue
            if start > self.now:
                state = "booked" if status != "closed" else "cancelled"
            elif status == "closed" and start > last_day:
                state = "cancelled"
            else:
                state = rng.choices(("done", "no_show", "cancelled"), (85, 7, 8))[0]
            appointment_id = self.next_id("appointments")
            airport = origin == "airport" and number == 0
            self.out.add(
                "appointments",
                id=appointment_id,
                case_id=case_id,
                agent_id=agent_id,
                region_id=region_id,
                service_point_id=point_id,
                type_id=type_id,
                mode=rng.choices(("in_person", "phone", "video"), (70, 20, 10))[0],
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes),
                status=state,
                channel="airport" if airport else "agent",
                booked_by_id=self.rng.choice(self.airport_staff) if airport else agent_id,
                booked_at=opened,
                cancel_reason="person_request" if state == "cancelled" else None,
                outcome_by_id=agent_id if state in ("done", "no_show") else None,
                outcome_at=start + timedelta(minutes=minutes)
                if state in ("done", "no_show")
                else None,
            )
            if state == "cancelled":
                self.calendar.taken[agent_id].difference_update(
                    int(c.timestamp()) // 900 for c in claims
                )
            else:
                for claim in claims:
                    self.out.add(
                        "slot_claims",
                        agent_id=agent_id,
                        starts_at=claim,
                        appointment_id=appointment_id,
                    )
                reminders.append(
                    ("appointment_upcoming", "appointment", appointment_id,
                     working_day(start.date() - timedelta(days=1)), 0)
                )  # fmt: skip
                starts.append(start)
            if airport:
                self.out.add(
                    "airport_bookings",
                    id=self.next_id("airport_bookings"),
                    appointment_id=appointment_id,
                    booked_by_id=self.rng.choice(self.airport_staff),
                    booked_at=opened,
                    given_names=given,
                    family_name=family,
                    flight_type="international",
                    arrival_date=arrival,
                    immigration_category="economic",
                    destination_region_id=region_id,
                    contact="514 555-0100",
                )
        return starts

    def assessments_and_plans(self, ctx, appointments, reminders) -> list[tuple[int, date | None]]:
        rng = self.rng
        case_id, agent_id, region_id, point_id, status, opened, last_day = ctx  # noqa: RUF059
        if not appointments or rng.random() < 0.1:
            return []
        first = appointments[0]
        if first > self.now:
            return []
        versions = 2 if rng.random() < 0.15 else 1
        actions: list[tuple[int, date | None]] = []
        assessment_id = None
        for number in range(1, versions + 1):
            assessment_id = self.next_id("assessments")
            done_at = first + timedelta(days=120 * (number - 1), hours=2)
            completed = done_at < self.now and (number < versions or rng.random() < 0.9)
            self.out.add(
                "assessments",
                id=assessment_id,
                case_id=case_id,
                number=number,
                status="completed" if completed else "draft",
                interview_date=done_at.date(),
                interview_mode="in_person",
                requalification_interest=rng.random() < 0.1,
                created_by_id=agent_id,
                created_at=done_at,
                updated_at=done_at,
                completed_at=done_at if completed else None,
                completed_by_id=agent_id if completed else None,
            )
            for need_id in rng.sample(self.needs, rng.randint(2, 6)):
                self.out.add(
                    "assessed_needs",
                    id=self.next_id("assessed_needs"),
                    assessment_id=assessment_id,
                    need_id=need_id,
                    level=rng.choice(("low", "moderate", "high", "urgent")),
                    notes="À suivre." if rng.random() < 0.3 else None,
                )
            for domain_id in rng.sample(self.domains, 2):
                self.out.add(
                    "assessment_domain_assets",
                    id=self.next_id("assessment_domain_assets"),
                    assessment_id=assessment_id,
                    domain_id=domain_id,
                    assets="Diplôme universitaire, expérience de 5 ans.",
                )
            if completed:
                for code, months in (
                    ("assessment_follow_up_3m", 3),
                    ("assessment_follow_up_6m", 6),
                ):
                    reminders.append(
                        (code, "assessment", assessment_id, (done_at + timedelta(days=30 * months)).date(), 0)
                    )  # fmt: skip
            if completed and rng.random() < 0.85:
                plan_id = self.next_id("plans")
                final = number < versions or rng.random() < 0.8
                self.out.add(
                    "plans",
                    id=plan_id,
                    case_id=case_id,
                    number=number,
                    status="final" if final else "draft",
                    assessment_id=assessment_id,
                    created_by_id=agent_id,
                    created_at=done_at,
                    updated_at=done_at,
                    finalised_at=done_at if final else None,
                    finalised_by_id=agent_id if final else None,
                )
                for position in range(rng.randint(2, 5)):
                    action_id = self.next_id("plan_actions")
                    due = (done_at + timedelta(days=rng.randint(14, 180))).date()
                    state = (
                        "todo"
                        if due > self.today
                        else rng.choice(("done", "done", "in_progress", "abandoned"))
                    )
                    self.out.add(
                        "plan_actions",
                        id=action_id,
                        plan_id=plan_id,
                        position=position,
                        need_id=rng.choice(self.needs),
                        level="moderate",
                        objective="S'inscrire à un cours de francisation",
                        objective_en="Enrol in a French course",
                        label="Orientation vers Francisation Québec",
                        label_en="Referral to Francisation Québec",
                        service=rng.choice(("francisation", "partner", "mtess", "none")),
                        due_on=due,
                        status=state,
                    )
                    if final:
                        actions.append((action_id, due))
                        if state == "todo":
                            reminders.append(("plan_action_due", "plan_action", action_id, due, 0))
        return actions

    def referrals(self, ctx, actions, reminders) -> None:
        rng = self.rng
        case_id, agent_id, region_id, point_id, status, opened, last_day = ctx  # noqa: RUF059
        count = rng.choices((0, 1, 2, 3, 4), (25, 30, 25, 12, 8))[0]
        for _ in range(count):
            referral_id = self.next_id("referrals")
            action_id = rng.choice(actions)[0] if actions and rng.random() < 0.8 else None
            created = opened + timedelta(days=rng.randint(5, 60))
            if created > self.now:
                created = self.now - timedelta(hours=rng.randint(1, 48))
            age = (self.now - created).days
            if age > 90:
                path = rng.choice((
                    ("submitted", "approved", "sent", "accepted", "completed"),
                    ("submitted", "approved", "sent", "declined"),
                    ("submitted", "returned"),
                    (),
                ))  # fmt: skip
            else:
                path = rng.choice((
                    (), ("submitted",), ("submitted",), ("submitted", "returned"),
                    ("submitted", "approved"), ("submitted", "approved", "sent"),
                    ("submitted", "approved", "sent", "accepted"),
                ))  # fmt: skip
            final = path[-1] if path else "draft"
            kind = "requalification" if rng.random() < 0.05 else "service"
            organisation_id = rng.choice(self.organisations)
            target = rng.choice(IN_DEMAND_CNP) if kind == "requalification" else None
            self.out.add(
                "referrals",
                id=referral_id,
                case_id=case_id,
                plan_action_id=action_id,
                organisation_id=organisation_id,
                agent_id=agent_id,
                region_id=region_id,
                status=final,
                purpose="Soutien à l'installation et à la recherche de logement",
                kind=kind,
                details={"target_cnp": target} if target else {},
                created_at=created,
                updated_at=created + timedelta(days=len(path)),
            )
            previous = None
            moment = created
            for step in ("draft", *path):
                self.out.add(
                    "referral_events",
                    id=self.next_id("referral_events"),
                    referral_id=referral_id,
                    occurred_at=moment,
                    actor_id=agent_id
                    if step in ("draft", "submitted")
                    else rng.choice(self.advisors),
                    from_status=previous,
                    to_status=step,
                )
                previous = step
                moment += timedelta(days=1)
            if final == "completed":
                self.outcomes(case_id, referral_id, kind, organisation_id, target, moment)
            if "sent" in path:
                sent_day = (created + timedelta(days=path.index("sent") + 1)).date()
                reminders.append(
                    (
                        "referral_unanswered",
                        "referral",
                        referral_id,
                        sent_day + timedelta(days=14),
                        0,
                    )
                )

    def outcomes(self, case_id, referral_id, kind, organisation_id, target, moment) -> None:
        """What a completed referral led to (referral_outcomes, issue 19 point 4): the
        partner's report, sometimes confirmed by a follow-up."""
        rng = self.rng
        found: list[dict[str, Any]] = []
        if kind == "requalification":
            if rng.random() < 0.8:
                found.append({"kind": "training_started"})
                if rng.random() < 0.6:
                    found.append({"kind": "training_finished"})
                    if rng.random() < 0.5:
                        cnp = target if rng.random() < 0.7 else rng.choice(IN_DEMAND_CNP)
                        found.append({"kind": "job_obtained", "cnp": cnp, "cnp_version": "2016"})
        elif organisation_id == self.francisation:
            found.append(
                {
                    "kind": "enrolled",
                    "happened": rng.random() < 0.85,
                    "course_format": rng.choice(FRENCH_FORMATS),
                }
            )
        for values in found:
            self.out.add(
                "referral_outcomes",
                id=self.next_id("referral_outcomes"),
                referral_id=referral_id,
                case_id=case_id,
                happened=values.pop("happened", True),
                occurred_on=moment.date(),
                source="partner",
                verdict="reported",
                recorded_at=moment,
                **values,
            )

    def follow_ups(self, ctx, arrival: date) -> None:
        """Follow-ups at 6 and 12 months for some of the cases that reached them (issue 19,
        point 1): residence, employment and French, so that the indicators have data."""
        rng = self.rng
        case_id, agent_id, region_id, point_id, status, opened, last_day = ctx  # noqa: RUF059
        for milestone, share in ((6, 0.6), (12, 0.4)):
            held_on = arrival + timedelta(days=30 * milestone + rng.randint(-10, 20))
            if held_on > last_day.date() or held_on < opened.date() or rng.random() > share:
                continue
            follow_up_id = self.next_id("follow_ups")
            self.out.add(
                "follow_ups",
                id=follow_up_id,
                case_id=case_id,
                held_on=held_on,
                milestone=milestone,
                months_since_arrival=milestone,
                agent_id=agent_id,
                region_id=region_id,
                mode="in_person",
                interpretation_pilot=False,
                created_at=to_utc(held_on, time(15)),
            )
            settled = region_id if rng.random() < 0.8 else rng.choice(list(self.region_codes))
            code = self.region_codes[settled]
            municipality = None
            if code == "11" and rng.random() < 0.2:
                municipality = "Les Îles-de-la-Madeleine"
            in_cmm = code in ("06", "13") or (code in ("14", "15", "16") and rng.random() < 0.5)
            rows = [
                {
                    "domain": "residence",
                    "region_id": settled,
                    "municipality": municipality,
                    "in_montreal_cmm": in_cmm,
                },
                {
                    "domain": "employment",
                    "employment_status": rng.choices(EMPLOYMENT, (30, 25, 5, 25, 10, 5))[0],
                },
            ]
            if rng.random() < 0.5:
                rows.append(
                    {
                        "domain": "french",
                        "french_enrolled": True,
                        "french_level": rng.randint(1, 9),
                        "french_format": rng.choice(FRENCH_FORMATS),
                    }
                )
            for values in rows:
                self.out.add(
                    "follow_up_situations",
                    id=self.next_id("follow_up_situations"),
                    follow_up_id=follow_up_id,
                    case_id=case_id,
                    observed_on=held_on,
                    milestone=milestone,
                    **values,
                )

    def reminders(self, ctx, wanted) -> None:
        rng = self.rng
        case_id, agent_id, region_id, point_id, status, opened, last_day = ctx  # noqa: RUF059
        horizon = self.today + timedelta(days=HORIZON_DAYS)
        for code, subject_type, subject_id, day, occurrence in wanted:
            # Rules are switched on and off over five years: about 2.5 reminders per case.
            if day > horizon or rng.random() > REMINDER_SHARE:
                continue
            due = to_utc(day, time(9, 0))
            if due > self.now:
                state = "pending" if status != "closed" else "cancelled"
            else:
                state = rng.choices(("done", "cancelled", "sent"), (75, 17, 8))[0]
                if status == "closed" and state == "sent":
                    state = "done"
            delivered = state in ("done", "sent")
            reminder_id = self.next_id("reminders")
            key = f"{code}:{subject_type}:{subject_id}" + (f":{occurrence}" if occurrence else "")
            self.out.add(
                "reminders",
                id=reminder_id,
                key=key,
                rule_id=self.rules[code],
                subject_type=subject_type,
                subject_id=subject_id,
                case_id=case_id,
                agent_id=agent_id,
                region_id=region_id,
                due_at=due,
                next_attempt_at=due,
                status=state,
                deliveries=1 if delivered else 0,
                delivered_at=due if delivered else None,
                completed_at=due + timedelta(days=rng.randint(0, 5)) if state == "done" else None,
                completed_by_id=agent_id if state == "done" else None,
                created_at=due - timedelta(days=HORIZON_DAYS),
                updated_at=due,
            )
            if delivered:
                self.out.add(
                    "notifications",
                    id=self.next_id("notifications"),
                    key=f"{key}#1",
                    user_id=agent_id,
                    kind="reminder",
                    reminder_id=reminder_id,
                    created_at=due,
                    read_at=due if state == "done" else None,
                )

    def transfers(self) -> None:
        """A few transfers awaiting an answer, so the caseload's « to accept » box has rows."""
        rng = self.rng
        for case_id in rng.sample(range(1, self.cases + 1), min(200, self.cases // 50)):
            from_agent, to_agent = rng.sample(self.agents, 2)
            self.out.add(
                "case_transfers",
                id=self.next_id("case_transfers"),
                case_id=case_id,
                from_agent_id=from_agent[0],
                to_agent_id=to_agent[0],
                requested_by_id=from_agent[0],
                reason="Déménagement dans une autre région",
                status="pending",
                requested_at=self.now - timedelta(days=rng.randint(0, 10)),
            )


BULK_TABLES = (
    "persons", "cases", "household_members", "interactions", "consents", "audit_events",
    "appointments", "slot_claims", "airport_bookings", "assessments", "assessed_needs",
    "assessment_domain_assets", "plans", "plan_actions", "referrals", "referral_events",
    "reminders", "notifications",
)  # fmt: skip


def _drop_secondary_indexes(connection) -> list[str]:
    """SQLite: drop the big tables' secondary indexes for the load, return their DDL to replay
    (building an index once from sorted data is much faster than maintaining it row by row)."""
    if connection.dialect.name != "sqlite":
        return []
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join(repr(t) for t in BULK_TABLES)})"
    ).all()
    for name, _sql in rows:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def _reset_sequences(connection, metadata) -> None:
    for table in metadata.sorted_tables:
        if "id" in table.columns and table.columns["id"].autoincrement is not False:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def generate(
    cases: int, seed: int = 9, progress: Callable[[str], None] = print, now: datetime | None = None
) -> dict[str, int]:
    """Fill the application's database (the current app context's) with ``cases`` cases."""
    from flask import current_app

    from casework.cases.models import Case
    from casework.core.db import refresh_statistics
    from casework.extensions import db
    from casework.reference.seed import load_reference_data
    from casework.setup import upgrade_schema

    started = clock.perf_counter()
    upgrade_schema()
    load_reference_data(current_app.config["SEED_DIR"])
    db.session.commit()
    if db.session.scalar(select(func.count()).select_from(Case)):
        raise SystemExit("The database has cases already: generate into an empty database.")
    db.session.close()
    now = (now or datetime.now(UTC).replace(tzinfo=None)).replace(microsecond=0)
    engine = db.engine
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.connection.driver_connection.execute("PRAGMA synchronous=OFF")
        generator = Generator(connection, db.metadata, cases, seed, now)
        with connection.begin():
            generator.load_reference()
            generator.users()
            deferred = _drop_secondary_indexes(connection)
        for start in range(0, cases, CHUNK):
            with connection.begin():
                for index in range(start, min(cases, start + CHUNK)):
                    generator.case(index)
                generator.out.flush()
            generator.calendar.forget_before(
                now - timedelta(days=HISTORY_DAYS) * (1 - min(cases, start + CHUNK) / cases)
            )
            done = min(cases, start + CHUNK)
            if done % (CHUNK * 10) == 0 or done == cases:
                progress(f"{done:>8,} cases  {clock.perf_counter() - started:6.1f} s")
        with connection.begin():
            generator.transfers()
            generator.out.flush()
            progress(f"indexes  {clock.perf_counter() - started:6.1f} s")
            for statement in deferred:
                connection.exec_driver_sql(statement)
            if engine.dialect.name == "postgresql":
                _reset_sequences(connection, db.metadata)
    # The dashboard's aggregates, which the operations keep as they write, recounted once from
    # what was loaded (``casework dashboard-aggregates --rebuild``).
    from casework.reports.aggregates import rebuild

    progress(f"dashboard aggregates {rebuild()}  {clock.perf_counter() - started:6.1f} s")
    db.session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        # A database in service has its statistics from the scheduler's nightly job.
        refresh_statistics(db.session)
        db.session.commit()
    counts = dict(generator.out.counts)
    progress(f"done in {clock.perf_counter() - started:.1f} s")
    return counts


def bench_app(database_url: str):
    """The application on ``database_url``, configured as in production (no TESTING)."""
    os.environ.setdefault("CASEWORK_INSTANCE_PATH", "/tmp/bench-i9/instance")
    os.makedirs(os.environ["CASEWORK_INSTANCE_PATH"], exist_ok=True)
    from casework.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url})


def database_url_for(engine: str, cases: int, directory: str = "/tmp/bench-i9") -> str:
    if engine == "sqlite":
        return f"sqlite:///{directory}/bench-{cases}.sqlite3"
    return os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_i9"
    )


def prepare_postgres(url: str) -> None:
    """An empty public schema in the database of ``url``, which is created when missing."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--database-url", help="overrides the engine's default location")
    parser.add_argument("--force", action="store_true", help="replace an existing database")
    args = parser.parse_args(list(argv) if argv is not None else None)
    url = args.database_url or database_url_for(args.engine, args.cases)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            if not args.force:
                sys.exit(f"{path} exists (--force replaces it)")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
    elif args.force:
        prepare_postgres(url)
    app = bench_app(url)
    with app.app_context():
        counts = generate(args.cases, seed=args.seed)
    for table, count in sorted(counts.items()):
        print(f"{table:<28}{count:>12,}")


if __name__ == "__main__":
    main()
