"""Illustrative demo cases for Accompagnement Québec, created through the service layer.

Every name, address, phone number and e-mail address in this module is invented (illustrative
demo values): no record designates a real person. Street names are real streets of each region
used to make addresses look plausible, with invented civic numbers and postal codes; phones use
the fictional 555-01xx range and e-mails the illustrative domain exemple.ca. Interview notes,
needs, assets and timelines are invented too, written to look like an agent's working notes.

The generator works in two steps: a pure plan (deterministic for a seed, no database), then the
writing of that plan through ``casework.cases.operations`` and ``casework.assessments.operations``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from babel import Locale
from sqlalchemy import select

from casework.assessments import operations as assessments
from casework.auth.models import User
from casework.auth.operations import find_user
from casework.cases import operations as cases
from casework.cases.models import Case
from casework.cases.operations import InteractionFields, PersonFields
from casework.core.text import fold
from casework.core.time import utc_to_local, utcnow
from casework.extensions import db
from casework.reference.models import HostCity, Organisation, Region

FRENCH = Locale.parse("fr_CA")
HOME_AGENT = "agente"
SECOND_AGENT = "agent2"
ROSTER_AGENTS = (
    "agent.estrie",
    "agent.outaouais",
    "agent.mauricie",
    "agent.laval",
    "agent.monteregie",
    "agent.lanaudiere",
    "agent.chaudiere",
    "agent.mtl2",
)
# Share of the cases per agent (per cent); the roster shares what is left.
AGENT_SHARES = {HOME_AGENT: 40.0, SECOND_AGENT: 15.0}
ROSTER_SHARE = 45.0
PILOT_REGIONS = ("04", "05", "12")  # remote interpretation pilot (DESIGN.md section 3)
PROGRESS_EVERY = 25
HISTORY_DAYS = 425

# --- Who the people are ---------------------------------------------------------------------

LEVEL_NAMES = ("none", "beginner", "intermediate", "advanced", "fluent")
NON_FRANCOPHONE = (4.0, 4.0, 2.0, 1.0, 0.3)


@dataclass(frozen=True)
class Origin:
    """Where a person comes from: countries with their languages (mother tongue first), names."""

    countries: tuple[tuple[str, tuple[str, ...]], ...]
    women: tuple[str, ...]
    men: tuple[str, ...]
    families: tuple[str, ...]
    french: tuple[float, ...] = NON_FRANCOPHONE
    english: float = 0.35


ORIGINS: dict[str, Origin] = {
    "colombia": Origin(
        (("CO", ("es",)),),
        ("María José", "Luz Marina", "Valentina", "Camila", "Diana Carolina", "Yolanda"),
        ("Juan Sebastián", "Andrés Felipe", "Jhon Jairo", "Santiago", "Óscar", "Julián"),
        ("Rodríguez Gómez", "Castaño", "Peña Morales", "Muñoz", "Gutiérrez", "Zapata Ríos"),
    ),
    "mexico": Origin(
        (("MX", ("es",)),),
        ("Guadalupe", "Ximena", "Fernanda", "Itzel", "Araceli"),
        ("José Luis", "Alejandro", "Jesús", "Emiliano", "Raúl"),
        ("Hernández", "López Ortiz", "Ramírez", "Núñez", "Cervantes", "Velázquez"),
    ),
    "venezuela_peru": Origin(
        (("VE", ("es",)), ("PE", ("es",))),
        ("Yolimar", "Rosa Elena", "Yuleisy", "Milagros", "Fiorella"),
        ("Darwin", "Luis Ángel", "Jhonatan", "Renzo", "Germán"),
        ("Quispe Mamani", "Villanueva", "Chávez", "Pérez Acosta", "Rondón", "Huamán"),
    ),
    "brazil": Origin(
        (("BR", ("pt",)),),
        ("Luíza", "Ana Beatriz", "Conceição", "Thaís", "Letícia"),
        ("João", "Thiago", "Caio", "Vinícius", "Márcio"),
        ("Gonçalves", "Araújo", "da Silva", "Magalhães", "Assunção"),
    ),
    "algeria": Origin(
        (("DZ", ("ar", "fr")),),
        ("Amel", "Nour El Houda", "Karima", "Lynda", "Sihem", "Meriem"),
        ("Mohamed", "Sofiane", "Rachid", "Yacine", "Abdelkader", "Amine"),
        ("Benali", "Bouzid", "Aït Ahmed", "Hamdani", "Belkacem", "Chérif"),
        french=(0.0, 0.3, 2.0, 4.0, 3.0),
    ),
    "morocco": Origin(
        (("MA", ("ar", "fr")),),
        ("Imane", "Yasmine", "Khadija", "Salma", "Zineb"),
        ("Youssef", "Hicham", "Mehdi", "Anas", "Othmane"),
        ("El Idrissi", "Benjelloun", "Alaoui", "Tazi", "Bennani", "El Fassi"),
        french=(0.0, 0.3, 2.0, 4.0, 3.0),
    ),
    "tunisia": Origin(
        (("TN", ("ar", "fr")),),
        ("Ons", "Rym", "Asma", "Héla"),
        ("Skander", "Wassim", "Aymen", "Hédi"),
        ("Ben Salah", "Trabelsi", "Gharbi", "Jebali", "Mejri"),
        french=(0.0, 0.3, 2.0, 4.0, 3.0),
    ),
    "west_africa": Origin(
        (
            ("SN", ("fr", "wo")),
            ("GN", ("fr", "ff")),
            ("ML", ("fr",)),
            ("CI", ("fr",)),
            ("BF", ("fr",)),
        ),
        ("Aïssatou", "Fatoumata", "Awa", "Mariama", "Ramatoulaye", "Kadiatou"),
        ("Mamadou", "Ousmane", "Cheikh", "Adama", "Boubacar", "Ibrahima"),
        ("Diallo", "Ndiaye", "Traoré", "Koné", "Sow", "Ouédraogo", "Coulibaly", "Kaboré"),
        french=(0.0, 0.0, 0.5, 3.0, 5.0),
        english=0.2,
    ),
    "cameroon": Origin(
        (("CM", ("fr", "en")),),
        ("Chancelle", "Prisca", "Bénédicte", "Larissa"),
        ("Serge", "Christian", "Aimé", "Hervé"),
        ("Mbarga", "Etoundi", "Ngo Bassa", "Fotso", "Tchakounté"),
        french=(0.0, 0.0, 0.5, 3.0, 5.0),
    ),
    "great_lakes": Origin(
        (("CD", ("ln", "sw", "fr")), ("BI", ("sw", "fr")), ("RW", ("rw", "fr", "en"))),
        ("Grâce", "Espérance", "Clarisse", "Divine", "Consolée"),
        ("Jean-Baptiste", "Déogratias", "Emmanuel", "Patrick", "Jean de Dieu"),
        ("Mukendi", "Ilunga", "Uwimana", "Niyonzima", "Tshibangu", "Habimana", "Kabongo"),
        french=(1.0, 1.5, 2.0, 3.0, 2.0),
        english=0.2,
    ),
    "nigeria": Origin(
        (("NG", ("en",)),),
        ("Ngozi", "Adaeze", "Chiamaka", "Funmilayo"),
        ("Chukwuemeka", "Oluwaseun", "Tunde", "Ikechukwu", "Babajide"),
        ("Okafor", "Adeyemi", "Eze", "Balogun", "Okonkwo", "Nwosu"),
        french=(5.0, 3.0, 1.0, 0.0, 0.0),
        english=1.0,
    ),
    "eritrea_ethiopia": Origin(
        (("ER", ("ti",)), ("ET", ("am",))),
        ("Senait", "Hiwet", "Selam", "Mekdes"),
        ("Filmon", "Yonas", "Dawit", "Tesfalem"),
        ("Tesfaye", "Gebremedhin", "Haile", "Tekle", "Berhane"),
        english=0.25,
    ),
    "somalia": Origin(
        (("SO", ("so", "ar")),),
        ("Mariam", "Hodan", "Ayaan", "Sahra"),
        ("Abdirahman", "Abdullahi", "Mahad", "Liban"),
        ("Abdi", "Warsame", "Mohamud", "Farah", "Hersi"),
        english=0.3,
    ),
    "syria": Origin(
        (("SY", ("ar",)),),
        ("Rania", "Lina", "Hala", "Nour", "Rasha", "Ghalia"),
        ("Mohammed", "Omar", "Khaled", "Bassel", "Ahmad", "Mahmoud"),
        ("Al-Khatib", "Al-Hamwi", "Darwish", "Al-Masri", "Kabbani", "Al-Ahmad"),
        english=0.25,
    ),
    "lebanon": Origin(
        (("LB", ("ar", "fr", "en")),),
        ("Maya", "Rita", "Nadine", "Joëlle"),
        ("Elie", "Georges", "Karim", "Ziad"),
        ("Khoury", "Saliba", "Haddad", "Abou Jaoudé", "Nassar"),
        french=(0.0, 0.5, 2.0, 3.0, 3.0),
        english=0.7,
    ),
    "iran": Origin(
        (("IR", ("fa",)),),
        ("Farzaneh", "Shirin", "Niloufar", "Maryam", "Parisa"),
        ("Reza", "Arash", "Mehdi", "Amir Hossein", "Babak"),
        ("Rahimi", "Hosseini", "Tehrani", "Mohammadi", "Karimi", "Jafari"),
        english=0.6,
    ),
    "afghanistan": Origin(
        (("AF", ("fa", "ps")),),
        ("Farida", "Zahra", "Mursal", "Fereshta", "Nargis"),
        ("Ahmad Shah", "Mustafa", "Habibullah", "Sayed Ali", "Wahid"),
        ("Haidari", "Ahmadzai", "Rahmani", "Noori", "Sultani", "Popal"),
        english=0.2,
    ),
    "ukraine": Origin(
        (("UA", ("uk", "ru")),),
        ("Oksana", "Olena", "Yuliia", "Iryna", "Kateryna", "Nataliia"),
        ("Dmytro", "Andrii", "Mykola", "Oleksandr", "Serhii", "Bohdan"),
        ("Kovalenko", "Shevchuk", "Bondarenko", "Tkachenko", "Melnyk", "Kravchenko"),
        english=0.5,
    ),
    "romania": Origin(
        (("RO", ("ro",)),),
        ("Ioana", "Andreea", "Mădălina", "Elena"),
        ("Mihai", "Ștefan", "Răzvan", "Bogdan"),
        ("Popescu", "Ionescu", "Dumitrașcu", "Mărginean", "Stănescu"),
        french=(0.5, 1.0, 3.0, 2.0, 0.5),
        english=0.7,
    ),
    "turkey": Origin(
        (("TR", ("tr",)),),
        ("Elif", "Gülşen", "Şule", "Zeynep", "Büşra"),
        ("Yusuf", "Çağrı", "Emre", "Mehmet", "Oğuz"),
        ("Öztürk", "Yılmaz", "Çelik", "Şahin", "Aydın", "Doğan"),
        english=0.5,
    ),
    "punjab": Origin(
        (("IN", ("pa", "hi", "en")),),
        ("Harpreet", "Simranjeet", "Navdeep", "Jaspreet"),
        ("Gurpreet", "Manpreet", "Harjot", "Amandeep"),
        ("Gill", "Sandhu", "Dhillon", "Brar", "Grewal"),
        english=1.0,
    ),
    "north_india": Origin(
        (("IN", ("hi", "en")),),
        ("Priya", "Ananya", "Pooja", "Neha"),
        ("Siddharth", "Arjun", "Rahul", "Vikram"),
        ("Sharma", "Patel", "Gupta", "Verma", "Mehta"),
        english=1.0,
    ),
    "tamil_nadu": Origin(
        (("IN", ("ta", "en")),),
        ("Lakshmi", "Divya", "Kavitha"),
        ("Karthik", "Senthil", "Vignesh"),
        ("Iyer", "Subramanian", "Krishnan", "Venkatesan"),
        english=1.0,
    ),
    "pakistan": Origin(
        (("PK", ("ur", "pa", "en")),),
        ("Ayesha", "Sadia", "Fatima", "Hina"),
        ("Imran", "Bilal", "Usman", "Faisal"),
        ("Chaudhry", "Qureshi", "Malik", "Siddiqui"),
        english=0.8,
    ),
    "bangladesh": Origin(
        (("BD", ("bn", "en")),),
        ("Tahmina", "Nusrat", "Farhana", "Sharmin"),
        ("Rafiq", "Tanvir", "Sabbir", "Mahbub"),
        ("Rahman", "Hossain", "Islam", "Chowdhury"),
        english=0.8,
    ),
    "china": Origin(
        (("CN", ("zh",)),),
        ("Xiaoling", "Mei", "Yuting", "Jing", "Xinyi"),
        ("Wei", "Jun", "Hao", "Zhiwei", "Yang"),
        ("Zhang", "Wang", "Li", "Chen", "Liu", "Zhao"),
        english=0.6,
    ),
    "vietnam": Origin(
        (("VN", ("vi",)),),
        ("Thị Hương", "Thị Ngọc Ánh", "Minh Châu", "Thị Lan", "Thu Trang"),
        ("Văn Đức", "Quốc Bảo", "Văn Minh", "Hoàng Long", "Đức Anh"),
        ("Nguyễn", "Trần", "Đặng", "Phạm", "Lê", "Võ"),
        english=0.4,
    ),
    "philippines": Origin(
        (("PH", ("tl", "en")),),
        ("Maricel", "Rowena", "Jhoanna", "Marites", "Kristine"),
        ("Jerome", "Mark Anthony", "Rodel", "Ramil"),
        ("Dela Cruz", "Santos", "Reyes", "Bautista", "Macaraeg"),
        english=1.0,
    ),
    "haiti": Origin(
        (("HT", ("ht", "fr")),),
        ("Widline", "Fabiola", "Nadège", "Guerline", "Roseline", "Mirlande"),
        ("Jean-Robert", "Wilner", "Ricardo", "Wesner", "Fritznel", "Jean-Baptiste"),
        ("Pierre-Louis", "Joseph", "Saint-Fleur", "Jean-Baptiste", "Dorvil", "Désir", "Théodore"),
        french=(0.0, 1.0, 2.0, 3.0, 4.0),
        english=0.15,
    ),
    "france": Origin(
        (("FR", ("fr", "en")), ("BE", ("fr",)), ("CH", ("fr", "en"))),
        ("Hélène", "Zoë", "Chloé", "Maëlle", "Anaïs", "Léonie", "Aurélie"),
        ("Mathéo", "Benoît", "Jérôme", "François-Xavier", "Loïc", "Gaëtan"),
        ("Lefèvre", "Dubois", "Moreau", "Girard", "Lemaître", "Fournier", "Lecœur"),
        french=(0.0, 0.0, 0.0, 0.0, 1.0),
        english=0.6,
    ),
    "korea": Origin(
        (("KR", ("ko",)),),
        ("Ji-woo", "Seo-yeon", "Min-ji"),
        ("Min-jun", "Hyun-woo", "Jae-won"),
        ("Kim", "Park", "Lee", "Choi"),
        english=0.7,
    ),
    "nepal": Origin(
        (("NP", ("ne",)),),
        ("Sita", "Sabina", "Anjali"),
        ("Bikash", "Sujan", "Ramesh"),
        ("Gurung", "Thapa", "Shrestha", "Tamang"),
        english=0.3,
    ),
    "united_states": Origin(
        (("US", ("en",)),),
        ("Emily", "Megan"),
        ("Ryan", "Tyler"),
        ("Miller", "Sullivan", "O'Brien"),
        french=(1.0, 3.0, 2.0, 1.0, 0.0),
        english=1.0,
    ),
}
PREFERRED_NAMES = {
    "Oleksandr": "Sasha",
    "Kateryna": "Katia",
    "Hao": "Kevin",
    "Xiaoling": "Annie",
    "Yuting": "Vivian",
    "Ji-woo": "Jenny",
    "Min-jun": "Daniel",
    "Chukwuemeka": "Emeka",
    "Nour El Houda": "Houda",
    "Juan Sebastián": "Juanse",
}
QUEBEC_CHILD_NAMES = {
    "woman": ("Léa", "Florence", "Emma", "Rosalie"),
    "man": ("Noah", "Liam", "Édouard", "Félix"),
}
COUNTRY_DISPLAY = {"CD": "RD Congo"}

CATEGORY_WEIGHTS = {
    "economic": 25.0,
    "family": 12.0,
    "gar": 11.0,
    "psr": 7.0,
    "asylum": 13.0,
    "temporary_worker": 12.0,
    "student": 13.0,
    "other": 5.0,
}
CATEGORY_ORIGINS: dict[str, dict[str, float]] = {
    "economic": {
        "france": 5,
        "algeria": 3,
        "morocco": 3,
        "tunisia": 2,
        "cameroon": 2,
        "west_africa": 2,
        "china": 2,
        "iran": 2,
        "colombia": 2,
        "brazil": 1.5,
        "lebanon": 1.5,
        "romania": 1,
        "turkey": 1,
        "north_india": 1,
        "mexico": 1,
    },
    "family": {
        "haiti": 4,
        "algeria": 2,
        "morocco": 2,
        "vietnam": 2,
        "philippines": 2,
        "china": 1.5,
        "pakistan": 1.5,
        "punjab": 1,
        "bangladesh": 1,
        "lebanon": 1,
        "west_africa": 1,
        "cameroon": 1,
    },
    "gar": {
        "syria": 4,
        "afghanistan": 4,
        "great_lakes": 3,
        "eritrea_ethiopia": 2,
        "somalia": 1,
        "colombia": 1.5,
        "nepal": 0.5,
    },
    "psr": {"syria": 3, "afghanistan": 3, "eritrea_ethiopia": 3, "somalia": 1, "iran": 1},
    "asylum": {
        "haiti": 3,
        "mexico": 3,
        "nigeria": 3,
        "colombia": 2,
        "venezuela_peru": 2,
        "turkey": 1.5,
        "great_lakes": 1,
        "punjab": 1,
        "pakistan": 1,
        "iran": 0.5,
    },
    "temporary_worker": {
        "mexico": 3,
        "philippines": 3,
        "france": 3,
        "punjab": 1,
        "tamil_nadu": 1,
        "west_africa": 1,
        "tunisia": 1,
        "brazil": 1,
        "ukraine": 1,
        "venezuela_peru": 0.5,
    },
    "student": {
        "france": 4,
        "china": 3,
        "west_africa": 3,
        "north_india": 2,
        "cameroon": 2,
        "morocco": 2,
        "tamil_nadu": 1.5,
        "vietnam": 1.5,
        "korea": 1,
        "iran": 1,
        "bangladesh": 1,
        "nigeria": 0.5,
        "brazil": 0.5,
    },
    "other": {"ukraine": 4, "united_states": 1, "france": 1, "venezuela_peru": 1},
}
AGE_AT_OPENING = {
    "economic": (24, 52),
    "family": (20, 68),
    "gar": (18, 65),
    "psr": (18, 62),
    "asylum": (18, 60),
    "temporary_worker": (20, 50),
    "student": (18, 34),
    "other": (18, 68),
}

# Near-duplicates on purpose, so that the duplicate check has something to show: the same
# person entered twice (a spelling variant, or the name typed without its accents), with the
# same date of birth, in two different cases. (first slot, second slot, origin, category,
# gender, first spelling, second spelling)
DUPLICATE_PAIRS = (
    (2, 13, "algeria", "economic", "man", ("Mohamed", "Benali"), ("Mohammed", "Benali")),
    (11, 24, "vietnam", "family", "woman", ("Thị Hương", "Nguyễn"), ("Thi Huong", "Nguyen")),
    (20, 35, "ukraine", "other", "woman", ("Oksana", "Kovalenko"), ("Oxana", "Kovalenko")),
)


@dataclass(frozen=True)
class Identity:
    """Who the person is, independent of where and when the case is opened."""

    given_names: str
    family_name: str
    gender: str
    origin: str
    country: str
    category: str
    age: int
    languages: tuple[str, ...]
    preferred_language: str
    french_level: str
    french_scale: int | None
    interpreter_language: str | None
    preferred_name: str | None = None
    twin_of: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    @property
    def low_french(self) -> bool:
        return self.french_level in ("none", "beginner")


# --- Where they live ------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    city: str
    postal_prefixes: tuple[str, ...]
    streets: tuple[str, ...]


# Real street names, invented civic numbers and postal codes (illustrative).
REGION_PLACES: dict[str, tuple[Place, ...]] = {
    "06": (
        Place(
            "Montréal",
            ("H1G", "H1H", "H1M", "H1Z", "H2R", "H3N", "H3S", "H4N"),
            (
                "rue Jean-Talon Est",
                "boulevard Saint-Laurent",
                "avenue Van Horne",
                "chemin de la Côte-des-Neiges",
                "boulevard Pie-IX",
                "rue Jarry Ouest",
                "avenue Papineau",
                "rue Bélanger",
            ),
        ),
    ),
    "03": (
        Place(
            "Québec",
            ("G1K", "G1L", "G1M", "G1N", "G1V", "G2B"),
            (
                "boulevard Charest Ouest",
                "rue Saint-Vallier Est",
                "1re Avenue",
                "boulevard Hamel",
                "rue de la Couronne",
                "chemin Sainte-Foy",
            ),
        ),
    ),
    "05": (
        Place(
            "Sherbrooke",
            ("J1E", "J1G", "J1H", "J1J"),
            (
                "rue King Ouest",
                "rue Wellington Sud",
                "boulevard Jacques-Cartier Nord",
                "rue Galt Ouest",
            ),
        ),
        Place(
            "Granby", ("J2G", "J2H"), ("rue Principale", "rue Dufferin", "boulevard Leclerc Ouest")
        ),
    ),
    "07": (
        Place(
            "Gatineau",
            ("J8P", "J8T", "J8Y", "J9H"),
            (
                "boulevard Saint-Joseph",
                "rue Notre-Dame",
                "boulevard Maloney Ouest",
                "boulevard Gréber",
            ),
        ),
    ),
    "04": (
        Place(
            "Trois-Rivières",
            ("G8T", "G8Y", "G8Z", "G9A"),
            (
                "rue Royale",
                "boulevard des Forges",
                "rue Sainte-Marguerite",
                "boulevard des Récollets",
            ),
        ),
        Place("Shawinigan", ("G9N", "G9P"), ("avenue de Grand-Mère", "5e Rue de la Pointe")),
    ),
    "13": (
        Place(
            "Laval",
            ("H7G", "H7N", "H7T", "H7W"),
            (
                "boulevard des Laurentides",
                "boulevard Cartier Ouest",
                "boulevard Lévesque Est",
                "boulevard Saint-Martin Ouest",
            ),
        ),
    ),
    "16": (
        Place(
            "Longueuil",
            ("J4H", "J4K", "J4L"),
            ("chemin de Chambly", "rue Saint-Charles Ouest", "boulevard Roland-Therrien"),
        ),
        Place("Brossard", ("J4W", "J4Y", "J4Z"), ("boulevard Taschereau", "boulevard de Rome")),
        Place("Saint-Hyacinthe", ("J2S", "J2T"), ("rue Girouard Ouest", "boulevard Laframboise")),
    ),
    "14": (
        Place(
            "Joliette",
            ("J6E",),
            ("boulevard Manseau", "rue Notre-Dame", "rue Saint-Charles-Borromée Nord"),
        ),
        Place("Repentigny", ("J5Y", "J6A"), ("rue Notre-Dame", "boulevard Iberville")),
    ),
    "12": (
        Place(
            "Lévis",
            ("G6V", "G6W", "G6Z"),
            ("route du Président-Kennedy", "boulevard Alphonse-Desjardins", "rue Saint-Georges"),
        ),
        Place("Saint-Georges", ("G5Y", "G5Z"), ("1re Avenue", "boulevard Lacroix")),
    ),
}
AREA_CODES = {
    "06": ("514", "438"),
    "13": ("450", "579"),
    "14": ("450", "579"),
    "15": ("450", "579"),
    "16": ("450", "579"),
    "01": ("418", "581"),
    "02": ("418", "581"),
    "03": ("418", "581"),
    "12": ("418", "581"),
}
OTHER_AREA_CODES = ("819", "873")
POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"

# --- What happens on a case -----------------------------------------------------------------

STATUS_WEIGHTS = {"new": 10.0, "active": 65.0, "on_hold": 10.0, "closed": 15.0}
# For open cases: no follow-up date, a date already past, a date in the coming weeks.
FOLLOW_UP_WEIGHTS = {"none": 8.0, "overdue": 15.0, "upcoming": 77.0}
# Dealt to every case, used where possible: a re-assessment needs 90 days after the first
# interview, a draft needs an open case; the shares aim at ~25 % and ~10 % of all cases.
REASSESSMENT_WEIGHTS = {"yes": 33.0, "no": 67.0}
DRAFT_WEIGHTS = {"yes": 13.0, "no": 87.0}
OPENED_DAYS_AGO = {"new": (1, 20), "active": (2, HISTORY_DAYS), "on_hold": (25, HISTORY_DAYS)}
CLOSED_OPENED_DAYS_AGO = (100, HISTORY_DAYS)
CASE_ORIGINS = {
    "gar": {"airport": 6, "partner": 3, "walk_in": 1},
    "psr": {"airport": 4, "partner": 4, "walk_in": 2},
    "economic": {"airport": 3, "abroad": 3, "walk_in": 2, "partner": 2},
    "family": {"airport": 2, "walk_in": 4, "partner": 3, "abroad": 1},
    "asylum": {"partner": 6, "walk_in": 4},
    "temporary_worker": {"walk_in": 4, "partner": 4, "abroad": 1, "airport": 1},
    "student": {"walk_in": 5, "partner": 4, "abroad": 1},
    "other": {"walk_in": 4, "partner": 3, "airport": 2},
}
# Days between arrival and opening when the person did not come straight from the airport.
ARRIVAL_DAYS_BEFORE = {
    "gar": (3, 120),
    "psr": (5, 200),
    "economic": (15, 900),
    "family": (15, 500),
    "asylum": (30, 600),
    "temporary_worker": (30, 900),
    "student": (30, 900),
    "other": (20, 400),
}
HOUSEHOLD_CHANCE = {
    "gar": 0.9,
    "psr": 0.8,
    "family": 0.7,
    "economic": 0.6,
    "asylum": 0.55,
    "temporary_worker": 0.35,
    "student": 0.2,
    "other": 0.55,
}
VULNERABLE = ("gar", "psr", "asylum")
CLOSING_REASONS = {"goals_met": 5.0, "moved": 2.0, "declined": 1.5, "no_contact": 1.5, "other": 1.0}
CLOSING_SUMMARIES = {
    "goals_met": (
        "Plan d'action réalisé : logement stable, francisation terminée et emploi dans le domaine visé. Fermeture d'un commun accord.",
        "Objectifs atteints : enfants inscrits à l'école, cours de français en cours, emploi à temps plein. La personne sait qu'elle peut revenir au besoin.",
        "Besoins réglés dans les cinq domaines ; dernier suivi fait trois mois après la réévaluation.",
    ),
    "moved": (
        "La personne s'est installée en Ontario pour un emploi ; informations transmises sur les services offerts là-bas.",
        "Déménagement à l'extérieur du Québec pour rejoindre de la famille ; dossier fermé avec son accord.",
    ),
    "declined": (
        "La personne ne souhaite plus recevoir d'accompagnement ; elle sait qu'elle peut revenir en tout temps.",
        "Refus du suivi après la première évaluation : la personne préfère poursuivre ses démarches seule.",
    ),
    "no_contact": (
        "Trois relances (téléphone, courriel, lettre) restées sans réponse en deux mois.",
        "Aucun contact possible depuis le changement de numéro ; courriel de fermeture envoyé.",
    ),
    "other": (
        "Dossier fermé : la personne est suivie par un organisme partenaire pour l'ensemble de ses démarches.",
    ),
}
CLOSING_NOTES = {
    "goals_met": "Dernière rencontre : bilan du plan d'action, objectifs atteints.",
    "moved": "La personne annonce son déménagement hors du Québec.",
    "declined": "La personne confirme qu'elle ne souhaite plus de suivi.",
    "no_contact": "Troisième relance sans réponse ; lettre de fermeture envoyée.",
    "other": "Entente avec l'organisme partenaire pour la suite du suivi.",
}
HOLD_NOTES = (
    "Dossier mis en attente : séjour de trois mois à l'extérieur du pays pour raisons familiales.",
    "Dossier mis en attente : congé de maternité, reprise du suivi prévue dans quelques mois.",
    "Dossier mis en attente : la personne se consacre à la francisation à temps complet et reprendra contact ensuite.",
    "Dossier mis en attente : hospitalisation ; rappel prévu au retour à la maison.",
)
TRANSFER_REASONS = (
    "La personne déménage à Montréal (Parc-Extension) ; suivi de l'emploi et de la francisation à poursuivre.",
    "Nouvel emploi à Montréal : la famille s'installe dans Saint-Laurent le mois prochain.",
    "La personne rejoint sa sœur à Montréal ; besoins en logement et en francisation toujours ouverts.",
)
CONSENT_METHODS = {"verbal": 5.0, "signed": 3.0, "electronic": 2.0}

# --- Needs ----------------------------------------------------------------------------------

NEED_WEIGHTS: dict[str, dict[str, float]] = {
    "gar": {
        "settlement.housing": 5,
        "settlement.health_insurance_card": 3,
        "settlement.social_insurance_number": 2,
        "settlement.bank_account": 2,
        "settlement.school_enrolment": 4,
        "settlement.childcare": 2,
        "settlement.public_transport": 2,
        "francisation.enrolment": 5,
        "francisation.full_time_course": 4,
        "francisation.level_assessment": 2,
        "francisation.allowances_childcare": 2,
        "community.community_organisations": 3,
        "community.intercultural_activities": 1,
        "employment.job_search": 2,
        "employment.cv_job_market": 1,
        "immigration.family_sponsorship": 1,
        "immigration.travel_documents": 1,
    },
    "psr": {
        "settlement.housing": 4,
        "settlement.health_insurance_card": 3,
        "settlement.social_insurance_number": 2,
        "settlement.school_enrolment": 3,
        "settlement.childcare": 2,
        "settlement.public_transport": 1,
        "francisation.enrolment": 5,
        "francisation.full_time_course": 3,
        "francisation.part_time_course": 1,
        "francisation.allowances_childcare": 1,
        "community.community_organisations": 2,
        "community.belonging_networking": 1,
        "employment.job_search": 3,
        "employment.comparative_evaluation": 1,
        "immigration.family_sponsorship": 2,
        "immigration.travel_documents": 1,
    },
    "asylum": {
        "settlement.housing": 5,
        "settlement.social_insurance_number": 2,
        "settlement.school_enrolment": 3,
        "settlement.childcare": 1,
        "francisation.enrolment": 3,
        "francisation.part_time_course": 2,
        "francisation.online_course": 1,
        "community.community_organisations": 3,
        "community.racism_discrimination": 1,
        "employment.job_search": 3,
        "employment.labour_standards": 2,
        "immigration.permit_renewal": 3,
        "immigration.permanent_residence": 2,
        "immigration.travel_documents": 1,
    },
    "economic": {
        "settlement.housing": 2,
        "settlement.health_insurance_card": 2,
        "settlement.social_insurance_number": 1,
        "settlement.bank_account": 1,
        "settlement.school_enrolment": 2,
        "settlement.childcare": 2,
        "settlement.drivers_licence_exchange": 2,
        "settlement.regionalisation": 1,
        "francisation.specialised_course": 2,
        "francisation.part_time_course": 2,
        "francisation.online_course": 2,
        "community.objectif_integration": 2,
        "community.belonging_networking": 2,
        "community.volunteering": 1,
        "employment.comparative_evaluation": 4,
        "employment.skills_recognition": 3,
        "employment.regulated_profession": 3,
        "employment.cv_job_market": 3,
        "employment.job_search": 3,
        "employment.regional_employment": 1,
        "employment.entrepreneurship": 1,
        "immigration.values_attestation": 2,
        "immigration.permanent_residence": 1,
    },
    "family": {
        "settlement.health_insurance_card": 3,
        "settlement.social_insurance_number": 2,
        "settlement.school_enrolment": 3,
        "settlement.childcare": 2,
        "settlement.public_transport": 1,
        "francisation.enrolment": 3,
        "francisation.part_time_course": 2,
        "francisation.full_time_course": 2,
        "community.community_organisations": 2,
        "community.recreation_sports_culture": 1,
        "community.belonging_networking": 2,
        "employment.job_search": 3,
        "employment.comparative_evaluation": 2,
        "employment.cv_job_market": 2,
        "immigration.permanent_residence": 2,
        "immigration.citizenship": 0.5,
    },
    "temporary_worker": {
        "settlement.housing": 2,
        "settlement.social_insurance_number": 1,
        "settlement.public_transport": 1,
        "francisation.workplace_course": 3,
        "francisation.part_time_course": 3,
        "francisation.online_course": 2,
        "community.recreation_sports_culture": 1,
        "community.belonging_networking": 2,
        "employment.labour_standards": 3,
        "employment.comparative_evaluation": 1,
        "immigration.temporary_to_permanent": 5,
        "immigration.permit_renewal": 4,
        "immigration.csq": 2,
        "immigration.values_attestation": 1,
    },
    "student": {
        "settlement.housing": 2,
        "settlement.public_transport": 1,
        "settlement.bank_account": 1,
        "francisation.online_course": 2,
        "francisation.part_time_course": 2,
        "community.intercultural_activities": 3,
        "community.volunteering": 2,
        "community.recreation_sports_culture": 2,
        "community.belonging_networking": 2,
        "employment.cv_job_market": 3,
        "employment.job_search": 2,
        "immigration.caq": 3,
        "immigration.permit_renewal": 3,
        "immigration.temporary_to_permanent": 3,
    },
    "other": {
        "settlement.housing": 3,
        "settlement.health_insurance_card": 2,
        "settlement.school_enrolment": 2,
        "settlement.childcare": 1,
        "francisation.enrolment": 3,
        "francisation.part_time_course": 2,
        "community.community_organisations": 2,
        "employment.job_search": 3,
        "employment.comparative_evaluation": 2,
        "immigration.permit_renewal": 3,
        "immigration.permanent_residence": 2,
    },
}
OPEN_NEEDS_RANGE = {
    "gar": (4, 8),
    "psr": (4, 8),
    "asylum": (4, 8),
    "family": (3, 6),
    "other": (3, 6),
    "economic": (2, 6),
    "temporary_worker": (2, 6),
    "student": (2, 4),
}
OPEN_LEVEL_NAMES = ("low", "moderate", "high", "urgent")
# Weights of low, moderate, high, urgent per category and domain.
SEVERITY: dict[str, dict[str, tuple[float, ...]]] = {
    "gar": {
        "settlement": (0, 1, 3, 2),
        "community": (2, 2, 0.5, 0),
        "employment": (1, 2, 1, 0),
        "immigration": (2, 1, 0.5, 0),
    },
    "psr": {
        "settlement": (0, 2, 3, 1),
        "community": (2, 2, 1, 0),
        "employment": (1, 2, 1, 0),
        "immigration": (1, 2, 1, 0),
    },
    "asylum": {
        "settlement": (0, 1, 3, 2),
        "community": (2, 1, 0.5, 0),
        "employment": (1, 2, 2, 0),
        "immigration": (0, 1, 3, 2),
    },
    "economic": {
        "settlement": (3, 2, 0.5, 0),
        "community": (4, 1, 0, 0),
        "employment": (1, 4, 2, 0),
        "immigration": (3, 1, 0, 0),
    },
    "family": {
        "settlement": (2, 2, 1, 0),
        "community": (2, 2, 0.5, 0),
        "employment": (2, 2, 1, 0),
        "immigration": (1, 2, 1, 0),
    },
    "temporary_worker": {
        "settlement": (2, 2, 0.5, 0),
        "community": (3, 1, 0, 0),
        "employment": (2, 2, 0.5, 0),
        "immigration": (0, 2, 3, 0.5),
    },
    "student": {
        "settlement": (3, 1, 0, 0),
        "community": (4, 1, 0, 0),
        "employment": (2, 2, 0.5, 0),
        "immigration": (1, 3, 1, 0),
    },
    "other": {
        "settlement": (1, 2, 2, 0.5),
        "community": (2, 2, 0.5, 0),
        "employment": (1, 3, 1, 0),
        "immigration": (1, 2, 2, 0),
    },
}
FRANCISATION_SEVERITY = {
    "none": (0, 1, 4, 1),
    "beginner": (0, 2, 4, 0.5),
    "intermediate": (1, 4, 1, 0),
    "advanced": (4, 1, 0, 0),
    "fluent": (4, 1, 0, 0),
}
CHILD_NEEDS = {
    "settlement.school_enrolment": (5, 17),
    "settlement.childcare": (0, 4),
    "francisation.allowances_childcare": (0, 4),
}
NEED_NOTES = {
    "settlement.housing": (
        "Logement trop petit pour la famille ; bail jusqu'au 30 juin.",
        "Hébergement temporaire chez des proches.",
        "Cherche un 4 ½ près du métro.",
        "Hébergement temporaire de l'organisme d'accueil pour encore deux semaines.",
    ),
    "settlement.health_insurance_card": (
        "Documents déposés, carte attendue.",
        "Délai de carence à vérifier.",
    ),
    "settlement.school_enrolment": ("Classe d'accueil à prévoir pour les enfants.",),
    "settlement.childcare": ("Inscription à La Place 0-5 faite ; en attente d'une place.",),
    "francisation.enrolment": (
        "Souhaite commencer dès la prochaine session.",
        "Préfère le soir à cause du travail.",
    ),
    "francisation.full_time_course": (
        "Disponible le jour ; allocation de participation à demander.",
    ),
    "francisation.part_time_course": ("Travaille le jour ; cours du soir souhaités.",),
    "employment.comparative_evaluation": ("Diplômes à faire traduire avant la demande.",),
    "employment.regulated_profession": (
        "Dossier à ouvrir auprès de l'ordre professionnel.",
        "Examen de l'ordre à préparer ; stage probablement exigé.",
    ),
    "employment.job_search": (
        "Cherche un emploi rapidement ; accepte un poste hors de son domaine.",
    ),
    "employment.requalification": ("Intérêt confirmé ; profil à transmettre au MTESS.",),
    "immigration.permanent_residence": ("Demande déposée ; attente de la confirmation.",),
    "immigration.permit_renewal": ("Permis échu dans quatre mois.",),
    "immigration.family_sponsorship": ("Conjoint et enfants restés au pays.",),
    "immigration.temporary_to_permanent": (
        "Admissibilité au PEQ à vérifier (expérience de travail).",
    ),
    "community.objectif_integration": (
        "Session en ligne préférée à cause de l'horaire de travail.",
    ),
    "community.racism_discrimination": (
        "Situation vécue au travail ; information sur les recours donnée.",
    ),
}


@dataclass(frozen=True)
class Occupation:
    feminine: str
    masculine: str
    cnp: str
    target: str
    diploma: str


# Occupation before arrival → plausible requalification target among the in-demand CNP codes.
PRIOR_OCCUPATIONS = (
    Occupation(
        "Ingénieure civile", "Ingénieur civil", "2131", "2143", "Baccalauréat en génie civil"
    ),
    Occupation("Géologue", "Géologue", "2113", "2143", "Maîtrise en géologie"),
    Occupation(
        "Enseignante au secondaire",
        "Enseignant au secondaire",
        "4031",
        "4032",
        "Licence en mathématiques",
    ),
    Occupation(
        "Infirmière auxiliaire",
        "Infirmier auxiliaire",
        "3233",
        "3012",
        "Diplôme en soins infirmiers",
    ),
    Occupation(
        "Mécanicienne automobile",
        "Mécanicien automobile",
        "7321",
        "7312",
        "Diplôme technique en mécanique",
    ),
    Occupation(
        "Électricienne en bâtiment",
        "Électricien en bâtiment",
        "7241",
        "7242",
        "Diplôme technique en électricité",
    ),
    Occupation("Architecte", "Architecte", "2151", "5241", "Diplôme d'architecte"),
    Occupation("Programmeuse", "Programmeur", "2174", "2281", "Baccalauréat en informatique"),
    Occupation(
        "Monteuse de charpentes métalliques",
        "Monteur de charpentes métalliques",
        "7236",
        "7237",
        "Certificat en construction métallique",
    ),
    Occupation(
        "Opératrice de machines-outils",
        "Opérateur de machines-outils",
        "9417",
        "7201",
        "Formation technique en usinage",
    ),
    Occupation("Photographe", "Photographe", "5221", "5241", "Diplôme en arts visuels"),
)
REQUALIFICATION_CHANCE = 0.28
EMPLOYMENT_ASSETS = (
    "Baccalauréat en génie civil ({country})",
    "Maîtrise en administration des affaires ({country})",
    "Diplôme en soins infirmiers ({country})",
    "Licence en droit ({country})",
    "Baccalauréat en informatique ({country})",
    "Diplôme technique en électricité ({country})",
    "Dix ans d'expérience en comptabilité ({country})",
    "Expérience en agriculture et en élevage",
    "Six ans d'expérience en enseignement primaire ({country})",
    "Permis de conduire poids lourd ({country}) et huit ans d'expérience",
    "Expérience en couture et en retouche de vêtements",
)
STUDENT_ASSETS = (
    "Inscription à la maîtrise en génie logiciel",
    "Inscription au DEC en techniques de l'informatique",
    "Stage rémunéré prévu l'été prochain",
    "Emploi étudiant de 20 h par semaine",
)
SETTLEMENT_ASSETS = (
    "Réseau : cousine à {city}",
    "Réseau : frère installé à {city} depuis cinq ans",
    "Logement trouvé avant l'arrivée (bail de 12 mois)",
    "Économies suffisantes pour les premiers mois",
    "Permis de conduire international valide",
)
COMMUNITY_ASSETS = (
    "Bénévole dans une banque alimentaire de quartier",
    "Joue au soccer dans une ligue amicale",
    "Membre d'une chorale",
    "Réseau : communauté religieuse active à {city}",
    "Fréquente les activités de la bibliothèque municipale",
)
IMMIGRATION_ASSETS = (
    "Documents d'identité complets et traduits",
    "Passeport valide pour encore cinq ans",
    "Certificat de sélection du Québec (CSQ) obtenu",
)
FRANCISATION_ASSETS = (
    "A suivi des cours de français avant le départ",
    "Écoute la radio en français tous les jours",
)
DOMAINS = ("settlement", "francisation", "community", "employment", "immigration")
ASSET_CHANCE = {
    "settlement": 0.3,
    "francisation": 0.5,
    "community": 0.3,
    "employment": 0.6,
    "immigration": 0.2,
}

# --- Timeline -------------------------------------------------------------------------------

FOLLOW_UPS: dict[str, tuple[tuple[str, str], ...]] = {
    "settlement.housing": (
        ("phone", "Appel avec {partner} au sujet de la recherche de logement."),
        ("note", "Bail signé pour un logement à {city} ; déménagement prévu le 1er du mois."),
        ("meeting", "Rencontre : liste de logements à visiter et droits des locataires expliqués."),
    ),
    "settlement.health_insurance_card": (
        ("email", "Courriel envoyé avec la liste des documents pour la RAMQ."),
        ("phone", "Appel : la carte d'assurance maladie est arrivée par la poste."),
    ),
    "settlement.social_insurance_number": (
        ("note", "Numéro d'assurance sociale obtenu à Service Canada."),
    ),
    "settlement.bank_account": (("note", "Compte bancaire ouvert ; carte de débit reçue."),),
    "settlement.school_enrolment": (
        ("meeting", "Rencontre avec la famille pour l'inscription scolaire des enfants."),
        ("phone", "Appel au centre de services scolaire : place en classe d'accueil confirmée."),
    ),
    "settlement.childcare": (
        ("email", "Courriel : explications sur l'inscription à La Place 0-5."),
    ),
    "settlement.public_transport": (
        ("note", "Carte de transport obtenue ; trajet vers les cours expliqué."),
    ),
    "settlement.drivers_licence_exchange": (
        ("email", "Courriel avec les étapes d'échange du permis de conduire à la SAAQ."),
    ),
    "settlement.regionalisation": (
        (
            "meeting",
            "Séance d'information sur l'installation en région ; intérêt pour la Mauricie.",
        ),
    ),
    "francisation.enrolment": (
        ("phone", "Appel de suivi : inscription à la francisation à temps complet confirmée."),
        ("email", "Courriel envoyé avec le lien d'inscription en ligne à Francisation Québec."),
    ),
    "francisation.full_time_course": (
        ("phone", "Appel : début des cours de français à temps complet lundi prochain."),
    ),
    "francisation.part_time_course": (
        ("note", "Inscription aux cours du soir à temps partiel confirmée."),
    ),
    "francisation.online_course": (
        ("email", "Courriel : accès au cours de français en ligne (stade débutant) envoyé."),
    ),
    "francisation.level_assessment": (
        ("note", "Rendez-vous d'évaluation du niveau de français fixé."),
    ),
    "francisation.allowances_childcare": (
        ("phone", "Appel : demande d'allocation de participation et de frais de garde transmise."),
    ),
    "francisation.workplace_course": (
        ("phone", "Appel avec l'employeur au sujet d'un cours de français en milieu de travail."),
    ),
    "francisation.specialised_course": (
        ("email", "Courriel : cours de français spécialisé proposé pour la prochaine session."),
    ),
    "community.objectif_integration": (
        ("email", "Courriel : inscription à la session Objectif Intégration confirmée."),
    ),
    "community.community_organisations": (
        ("phone", "Appel : orientation vers {partner} pour les activités d'accueil."),
    ),
    "community.volunteering": (
        ("note", "Début du bénévolat à la banque alimentaire du quartier."),
    ),
    "community.intercultural_activities": (
        ("note", "Jumelage interculturel proposé ; première rencontre prévue."),
    ),
    "community.belonging_networking": (
        ("meeting", "Rencontre : activités de réseautage de la chambre de commerce présentées."),
    ),
    "community.recreation_sports_culture": (
        ("email", "Courriel : programmation des loisirs municipaux de {city}."),
    ),
    "community.racism_discrimination": (
        (
            "meeting",
            "Rencontre : situation de discrimination au travail ; recours possibles auprès de la CDPDJ expliqués.",
        ),
    ),
    "employment.comparative_evaluation": (
        (
            "email",
            "Courriel : démarche d'évaluation comparative des études et documents à traduire.",
        ),
    ),
    "employment.skills_recognition": (
        (
            "email",
            "Courriel : coordonnées de Qualifications Québec et démarche de reconnaissance des compétences.",
        ),
    ),
    "employment.regulated_profession": (
        (
            "phone",
            "Appel : dossier ouvert auprès de l'ordre professionnel, en attente d'une réponse.",
        ),
    ),
    "employment.job_search": (
        ("meeting", "Atelier sur le marché du travail québécois ; CV revu ensemble."),
        ("note", "La personne a commencé un emploi à temps partiel."),
    ),
    "employment.cv_job_market": (("meeting", "Rencontre : CV adapté au format québécois."),),
    "employment.requalification": (
        ("phone", "Appel : profil de requalification transmis au MTESS."),
    ),
    "employment.regional_employment": (
        ("email", "Courriel : offres d'Emplois en régions correspondant au profil."),
    ),
    "employment.entrepreneurship": (
        ("note", "Orientation vers un service d'aide au démarrage d'entreprise."),
    ),
    "employment.labour_standards": (
        ("phone", "Appel : information sur les normes du travail et la CNESST."),
    ),
    "immigration.permanent_residence": (("note", "Confirmation de résidence permanente reçue."),),
    "immigration.values_attestation": (
        (
            "email",
            "Courriel : lien vers l'évaluation en ligne des valeurs démocratiques et québécoises.",
        ),
    ),
    "immigration.temporary_to_permanent": (
        ("meeting", "Rencontre : admissibilité au PEQ vérifiée ; documents à réunir."),
    ),
    "immigration.family_sponsorship": (
        ("meeting", "Rencontre : étapes du parrainage de la famille restée au pays expliquées."),
    ),
    "immigration.citizenship": (
        ("email", "Courriel : conditions de la demande de citoyenneté canadienne."),
    ),
    "immigration.permit_renewal": (
        ("phone", "Appel : rappel de renouveler le permis avant son échéance."),
    ),
    "immigration.caq": (("email", "Courriel : démarche de renouvellement du CAQ pour études."),),
    "immigration.csq": (
        ("note", "CSQ reçu ; prochaine étape : demande de résidence permanente au fédéral."),
    ),
    "immigration.travel_documents": (
        ("phone", "Appel : demande de titre de voyage en préparation."),
    ),
}
GENERIC_FOLLOW_UPS = (
    ("note", "Relance téléphonique sans réponse ; message vocal laissé."),
    ("phone", "Appel de suivi : tout va bien, pas de nouveau besoin."),
    ("note", "Changement d'adresse signalé par la personne."),
    ("email", "Courriel de rappel du prochain rendez-vous."),
    ("meeting", "Rencontre de suivi : révision du plan d'action."),
)
INTAKE_NOTES = {
    "airport": (
        "note",
        "Rendez-vous pris par l'équipe d'accueil de l'aéroport Montréal-Trudeau à l'arrivée.",
    ),
    "partner": ("note", "Référence reçue de {partner} ; premier contact à planifier."),
    "walk_in": (
        "meeting",
        "Accueil sans rendez-vous au point de service ; rendez-vous d'évaluation fixé.",
    ),
    "abroad": (
        "email",
        "Dossier ouvert à la suite de l'inscription en ligne faite avant le départ ; courriel de bienvenue envoyé.",
    ),
}
INTERVIEW_MODES = {"in_person": 55.0, "video": 25.0, "phone": 20.0}
MAX_INTERACTIONS = 12


# --- Plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentSeat:
    """An agent who may receive cases: username, region code, city of the service point."""

    username: str
    region: str
    city: str | None = None


@dataclass(frozen=True)
class Setting:
    """What the plan needs to know about the database, read once before planning."""

    agents: tuple[AgentSeat, ...]
    need_keys: tuple[str, ...]  # "domain.need"
    target_cnps: tuple[str, ...]
    host_cities: Mapping[str, tuple[str, ...]]
    partners: Mapping[str, tuple[str, ...]]
    now: datetime
    today: date


@dataclass(frozen=True)
class MemberPlan:
    relationship: str
    given_names: str
    family_name: str | None
    born: date


@dataclass(frozen=True)
class AssessmentPlan:
    levels: dict[str, str]
    notes: dict[str, str]
    assets: dict[str, str]
    interview_date: date | None
    interview_mode: str | None
    interpreter_language: str | None = None
    interpreter_remote: bool = False
    requalification_interest: bool = False
    current_occupation: str | None = None
    current_cnp: str | None = None
    target_cnp: str | None = None
    complete: bool = True

    @property
    def open_needs(self) -> list[str]:
        return [key for key, level in self.levels.items() if level in OPEN_LEVEL_NAMES]


@dataclass(frozen=True)
class ConsentPlan:
    purpose: str
    given_on: date
    method: str
    withdrawn_on: date | None = None


@dataclass
class CasePlan:
    agent: str
    region: str
    person: PersonFields
    origin: str
    priority: str
    opened_at: datetime
    status: str
    follow_up: date | None = None
    closing_reason: str | None = None
    closing_summary: str | None = None
    household: list[MemberPlan] = field(default_factory=list)
    assessments: list[AssessmentPlan] = field(default_factory=list)
    interactions: list[InteractionFields] = field(default_factory=list)
    consents: list[ConsentPlan] = field(default_factory=list)
    transfer_reason: str | None = None


def _streams(seed: int) -> tuple[random.Random, random.Random]:
    """Independent generators for identities and for cases, both derived from ``seed``."""
    master = random.Random(seed)
    return random.Random(master.getrandbits(64)), random.Random(master.getrandbits(64))


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _quota(rng: random.Random, weights: Mapping[str, float], count: int) -> list[str]:
    """``count`` keys in proportion to ``weights`` (largest remainder), in random order."""
    total = sum(weights.values())
    exact = {key: count * weight / total for key, weight in weights.items()}
    counts = {key: int(share) for key, share in exact.items()}
    left = count - sum(counts.values())
    for key in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:left]:
        counts[key] += 1
    keys = [key for key in weights for _ in range(counts[key])]
    rng.shuffle(keys)
    return keys


def _days_before(day: date, low: int, high: int, rng: random.Random) -> date:
    return day - timedelta(days=rng.randint(low, high))


# --- Identities (pure) ----------------------------------------------------------------------


def plan_people(count: int, seed: int = 2026) -> list[Identity]:
    """The people of ``count`` demo cases: the same list for the same seed, whatever the database."""
    rng, _ = _streams(seed)
    categories = _quota(rng, CATEGORY_WEIGHTS, count)
    people: list[Identity] = []
    taken: set[str] = set()
    pairs = {slot: pair for pair in DUPLICATE_PAIRS for slot in (pair[0], pair[1])}
    for index, category in enumerate(categories):
        pair = pairs.get(index)
        if pair is not None and index == pair[1]:
            twin = people[pair[0]]
            given, family = pair[6]
            people.append(replace(twin, given_names=given, family_name=family, twin_of=pair[0]))
        elif pair is not None:
            people.append(_forced_identity(rng, pair))
        else:
            people.append(_unique_identity(rng, category, taken))
        taken.add(people[-1].full_name)
    return people


def pick_names(count: int, seed: int = 2026) -> list[str]:
    """Full names of the first ``count`` demo people, as written (accents kept)."""
    return [person.full_name for person in plan_people(count, seed)]


def _unique_identity(rng: random.Random, category: str, taken: set[str]) -> Identity:
    origin = _weighted(rng, CATEGORY_ORIGINS[category])
    for _attempt in range(20):
        person = _identity(rng, category, origin, _gender(rng))
        if person.full_name not in taken:
            return person
    return person


def _forced_identity(rng: random.Random, pair: tuple[Any, ...]) -> Identity:
    _first, _second, origin, category, gender, (given, family), _variant = pair
    person = _identity(rng, category, origin, gender)
    return replace(person, given_names=given, family_name=family, preferred_name=None)


def _gender(rng: random.Random) -> str:
    return rng.choices(("woman", "man", "undisclosed", "non_binary"), weights=(49, 48, 2, 1))[0]


def _identity(rng: random.Random, category: str, origin_key: str, gender: str) -> Identity:
    origin = ORIGINS[origin_key]
    country, native = rng.choice(origin.countries)
    given = _given_name(rng, origin, gender)
    french = _french_level(rng, origin, category)
    languages = _languages(rng, origin, native, french)
    preferred = _preferred_language(rng, languages, french)
    low, high = AGE_AT_OPENING[category]
    return Identity(
        given_names=given,
        family_name=rng.choice(origin.families),
        gender=gender,
        origin=origin_key,
        country=country,
        category=category,
        age=rng.randint(low, high),
        languages=languages,
        preferred_language=preferred,
        french_level=french,
        french_scale=_french_scale(rng, french),
        interpreter_language=_interpreter(rng, languages, preferred, french),
        preferred_name=PREFERRED_NAMES.get(given) if rng.random() < 0.5 else None,
    )


def _given_name(rng: random.Random, origin: Origin, gender: str) -> str:
    if gender == "woman":
        return rng.choice(origin.women)
    if gender == "man":
        return rng.choice(origin.men)
    return rng.choice(origin.women + origin.men)


def _french_level(rng: random.Random, origin: Origin, category: str) -> str:
    weights = origin.french
    if weights == NON_FRANCOPHONE and category == "economic":
        weights = (0.2, 1.0, 3.0, 3.0, 1.0)
    elif weights == NON_FRANCOPHONE and category == "student":
        weights = (1.0, 2.0, 3.0, 2.0, 0.5)
    return rng.choices(LEVEL_NAMES, weights=weights)[0]


def _languages(
    rng: random.Random, origin: Origin, native: tuple[str, ...], french: str
) -> tuple[str, ...]:
    spoken = [native[0]] + [code for code in native[1:] if code == "fr" or rng.random() < 0.7]
    if rng.random() < origin.english:
        spoken.append("en")
    if french != "none":
        spoken.append("fr")
    return tuple(dict.fromkeys(spoken))


def _preferred_language(rng: random.Random, languages: tuple[str, ...], french: str) -> str:
    if french in ("intermediate", "advanced", "fluent") and rng.random() < 0.85:
        return "fr"
    if languages[0] not in ("fr", "en") and "en" in languages and rng.random() < 0.4:
        return "en"
    return languages[0]


def _french_scale(rng: random.Random, french: str) -> int | None:
    if rng.random() >= 0.35:
        return None
    low, high = {
        "none": (1, 1),
        "beginner": (1, 3),
        "intermediate": (4, 7),
        "advanced": (8, 10),
    }.get(french, (11, 12))
    return rng.randint(low, high)


def _interpreter(
    rng: random.Random, languages: tuple[str, ...], preferred: str, french: str
) -> str | None:
    mother_tongue = languages[0]
    if french not in ("none", "beginner") or mother_tongue in ("fr", "en"):
        return None
    chance = 0.1 if preferred == "en" else 0.4
    return mother_tongue if rng.random() < chance else None


# --- Cases (pure) ---------------------------------------------------------------------------


def plan_cases(count: int, seed: int, setting: Setting) -> list[CasePlan]:
    """Everything the demo cases will hold, decided before anything is written."""
    people = plan_people(count, seed)
    _, rng = _streams(seed)
    seats = _seat_quota(rng, setting, count)
    statuses = _quota(rng, STATUS_WEIGHTS, count)
    follow_ups = _quota(rng, FOLLOW_UP_WEIGHTS, count)
    households = _household_flags(rng, people)
    reassessments = _quota(rng, REASSESSMENT_WEIGHTS, count)
    drafts = _quota(rng, DRAFT_WEIGHTS, count)
    plans: list[CasePlan] = []
    for index, person in enumerate(people):
        draw = _Draw(
            _take_seat(seats, setting, person.category),
            statuses[index],
            households[index],
            follow_ups[index],
            reassessments[index] == "yes",
            drafts[index] == "yes",
        )
        twin = plans[person.twin_of] if person.twin_of is not None else None
        plans.append(_plan_case(rng, setting, person, draw, twin))
    _plan_transfers(rng, plans, count)
    return plans


@dataclass(frozen=True)
class _Draw:
    """What is dealt to a case from the shares agreed for the whole run."""

    seat: AgentSeat
    status: str
    household: bool
    follow_up: str
    reassessment: bool
    draft: bool


def _household_flags(rng: random.Random, people: Sequence[Identity]) -> list[bool]:
    """Whether each case has a household, in the share expected for its category."""
    flags = [False] * len(people)
    for category, chance in HOUSEHOLD_CHANCE.items():
        indexes = [i for i, person in enumerate(people) if person.category == category]
        dealt = _quota(rng, {"yes": chance, "no": 1 - chance}, len(indexes))
        for index, flag in zip(indexes, dealt, strict=True):
            flags[index] = flag == "yes"
    return flags


def _plan_case(
    rng: random.Random, setting: Setting, person: Identity, draw: _Draw, twin: CasePlan | None
) -> CasePlan:
    seat, status = draw.seat, draw.status
    opened_at = _opening(rng, setting.now, status)
    origin = _weighted(rng, CASE_ORIGINS[person.category])
    arrival = _arrival(rng, origin, person.category, opened_at.date())
    born = twin.person.date_of_birth if twin else _birth_date(rng, opened_at.date(), person.age)
    residence = _permanent_residence(rng, person.category, arrival, opened_at.date())
    plan = CasePlan(
        agent=seat.username,
        region=seat.region,
        person=_person_fields(rng, setting, seat, person, (born, arrival, residence)),
        origin=origin,
        priority=_priority(rng, person.category),
        opened_at=opened_at,
        status=status,
    )
    if draw.household:
        plan.household = _household(rng, person, born, setting.today, arrival)
    _plan_story(rng, setting, person, plan, draw)
    plan.follow_up = _follow_up(rng, status, draw.follow_up, setting.today)
    return plan


def _seat_quota(rng: random.Random, setting: Setting, count: int) -> list[AgentSeat]:
    """One agent per case, in the agreed shares (the roster shares what is left)."""
    roster = [seat for seat in setting.agents if seat.username not in AGENT_SHARES]
    shares = {
        seat.username: AGENT_SHARES.get(seat.username, ROSTER_SHARE / max(len(roster), 1))
        for seat in setting.agents
    }
    by_name = {seat.username: seat for seat in setting.agents}
    return [by_name[name] for name in _quota(rng, shares, count)]


def _take_seat(seats: list[AgentSeat], setting: Setting, category: str) -> AgentSeat:
    """The next seat; government-assisted refugees go to an agent of a host-city region."""
    if category == "gar":
        for index, seat in enumerate(seats):
            if setting.host_cities.get(seat.region):
                return seats.pop(index)
    return seats.pop(0)


def _opening(rng: random.Random, now: datetime, status: str) -> datetime:
    low, high = OPENED_DAYS_AGO.get(status, CLOSED_OPENED_DAYS_AGO)
    return now - timedelta(days=rng.randint(low, high), minutes=rng.randint(0, 600))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _birth_date(rng: random.Random, opened: date, age: int) -> date:
    """Born so as to be ``age`` on the day the case is opened."""
    return _years_before(opened, age) - timedelta(days=rng.randint(1, 364))


def _priority(rng: random.Random, category: str) -> str:
    weights = (65, 27, 8) if category in VULNERABLE else (88, 10, 2)
    return rng.choices(("normal", "high", "urgent"), weights=weights)[0]


def _arrival(rng: random.Random, origin: str, category: str, opened: date) -> date:
    if origin == "airport":
        return _days_before(opened, 0, 2, rng)
    if origin == "abroad":
        return _days_before(opened, 0, 10, rng)
    low, high = ARRIVAL_DAYS_BEFORE[category]
    return _days_before(opened, low, high, rng)


def _permanent_residence(
    rng: random.Random, category: str, arrival: date, opened: date
) -> date | None:
    """Refugees and sponsored people land as permanent residents; some economic immigrants
    became residents later, after a temporary stay (PEQ)."""
    if category in ("gar", "psr") and rng.random() < 0.7:
        return arrival
    if category == "family" and rng.random() < 0.5:
        return arrival
    if category != "economic" or rng.random() >= 0.55:
        return None
    stay = (opened - arrival).days
    return arrival + timedelta(days=rng.randint(300, stay)) if stay > 400 else arrival


# --- Person fields --------------------------------------------------------------------------


def _person_fields(
    rng: random.Random,
    setting: Setting,
    seat: AgentSeat,
    person: Identity,
    dates: tuple[date, date, date | None],
) -> PersonFields:
    """The person record; ``dates`` are birth, arrival and permanent residence."""
    born, arrival, residence = dates
    place = _place(rng, seat)
    destination = _destination(rng, setting, seat, person.category, place)
    if destination != place.city:
        place = _place_for_host(rng, seat, destination) or place
    return PersonFields(
        given_names=person.given_names,
        family_name=person.family_name,
        immigration_category=person.category,
        preferred_name=person.preferred_name,
        date_of_birth=born,
        gender=None if person.gender == "undisclosed" and rng.random() < 0.5 else person.gender,
        country_of_birth=person.country,
        citizenships=_citizenships(rng, person),
        languages_spoken=list(person.languages),
        preferred_language=person.preferred_language,
        french_level_self=person.french_level,
        french_level_scale=person.french_scale,
        arrival_date=arrival,
        permanent_residence_date=residence,
        phone=_phone(rng, seat.region) if rng.random() < 0.92 else None,
        email=_email(rng, person) if rng.random() < 0.85 else None,
        address=_address(rng, place),
        postal_code=_postal_code(rng, place) if place.postal_prefixes else None,
        city=place.city,
        destination_city=destination,
        interpreter_needed=person.interpreter_language is not None,
        interpreter_language=person.interpreter_language,
    )


def _place(rng: random.Random, seat: AgentSeat) -> Place:
    places = REGION_PLACES.get(seat.region)
    if places:
        return rng.choice(places)
    return Place(seat.city or "Montréal", (), ("rue Principale", "rue Notre-Dame"))


def _destination(
    rng: random.Random, setting: Setting, seat: AgentSeat, category: str, place: Place
) -> str:
    hosts = setting.host_cities.get(seat.region, ())
    if category == "gar" and hosts:
        return rng.choice(hosts)
    return place.city


def _place_for_host(rng: random.Random, seat: AgentSeat, host: str) -> Place | None:
    parts = {host, *host.split("-")}
    matching = [place for place in REGION_PLACES.get(seat.region, ()) if place.city in parts]
    return rng.choice(matching) if matching else None


def _citizenships(rng: random.Random, person: Identity) -> list[str]:
    extra = {"LB": "FR", "DZ": "FR", "MA": "FR", "HT": "US", "CM": "FR"}.get(person.country)
    if extra and rng.random() < 0.08:
        return [person.country, extra]
    return [person.country]


def _phone(rng: random.Random, region: str) -> str:
    area = rng.choice(AREA_CODES.get(region, OTHER_AREA_CODES))
    return f"{area} 555-01{rng.randint(0, 99):02d}"


# Letters that Unicode does not decompose into a base letter and an accent.
UNDECOMPOSED = str.maketrans({"Đ": "D", "đ": "d", "ı": "i", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o"})


def _email_part(text: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", fold(text.translate(UNDECOMPOSED)).replace(" ", ""))


def _email(rng: random.Random, person: Identity) -> str:
    first = _email_part(person.given_names.split()[0])
    family = _email_part(person.family_name)
    separator = rng.choice((".", ".", "_"))
    return f"{first}{separator}{family}@exemple.ca"


def _address(rng: random.Random, place: Place) -> str:
    line = f"{rng.randint(100, 9999)}, {rng.choice(place.streets)}"
    if rng.random() < 0.45:
        line += f", app. {rng.randint(1, 24)}"
    return line


def _postal_code(rng: random.Random, place: Place) -> str:
    letter = rng.choice(POSTAL_LETTERS)
    return f"{rng.choice(place.postal_prefixes)} {rng.randint(0, 9)}{letter}{rng.randint(0, 9)}"


# --- Household ------------------------------------------------------------------------------


def _household(
    rng: random.Random, person: Identity, born: date, today: date, arrival: date
) -> list[MemberPlan]:
    origin = ORIGINS[person.origin]
    age = _age(born, today)
    members: list[MemberPlan] = []
    if rng.random() < 0.75:
        members.append(_spouse(rng, origin, person, age, today))
    for _child in range(rng.choices((0, 1, 2, 3, 4), weights=(1, 3, 3, 2, 1))[0]):
        child = _child_member(rng, origin, person, age, today, arrival)
        if child is not None and len(members) < 5:
            members.append(child)
    if age <= 48 and len(members) < 5 and rng.random() < 0.12:
        members.append(_parent(rng, origin, person, age, today))
    return members or [_spouse(rng, origin, person, age, today)]


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _born_aged(rng: random.Random, years: int, today: date) -> date:
    return _years_before(today, years) - timedelta(days=rng.randint(0, 360))


def _other_gender(rng: random.Random, gender: str) -> str:
    if gender in ("woman", "man") and rng.random() < 0.95:
        return "man" if gender == "woman" else "woman"
    return rng.choice(("woman", "man"))


def _spouse(
    rng: random.Random, origin: Origin, person: Identity, age: int, today: date
) -> MemberPlan:
    names = origin.women if _other_gender(rng, person.gender) == "woman" else origin.men
    given = rng.choice([name for name in names if name != person.given_names] or names)
    family = person.family_name if rng.random() < 0.45 else rng.choice(origin.families)
    spouse_age = min(max(age + rng.randint(-6, 6), 18), 75)
    return MemberPlan("spouse", given, family, _born_aged(rng, spouse_age, today))


def _child_member(
    rng: random.Random,
    origin: Origin,
    person: Identity,
    age: int,
    today: date,
    arrival: date,
) -> MemberPlan | None:
    oldest = min(age - 19, 24)
    if oldest < 0:
        return None
    years = rng.randint(0, min(oldest, 17) if rng.random() < 0.9 else oldest)
    born = _born_aged(rng, years, today)
    gender = rng.choice(("woman", "man"))
    if born > arrival and rng.random() < 0.5:
        given = rng.choice(QUEBEC_CHILD_NAMES[gender])
    else:
        given = rng.choice(origin.women if gender == "woman" else origin.men)
    return MemberPlan("child", given, person.family_name, born)


def _parent(
    rng: random.Random, origin: Origin, person: Identity, age: int, today: date
) -> MemberPlan:
    parent_age = min(age + rng.randint(22, 32), 75)
    given = rng.choice(origin.women + origin.men)
    return MemberPlan(
        "parent", given, rng.choice(origin.families), _born_aged(rng, parent_age, today)
    )


def _children_ages(plan: CasePlan, today: date) -> list[int]:
    return [_age(m.born, today) for m in plan.household if m.relationship == "child"]


# --- The story of a case: assessments, timeline, consents, status ----------------------------


@dataclass
class _Story:
    """Moments of one case, shared by the builders of its timeline."""

    opened_at: datetime
    end: datetime  # now, or the closing moment
    interview: date | None = None
    reassessed: date | None = None
    draft: date | None = None


def _plan_story(
    rng: random.Random, setting: Setting, person: Identity, plan: CasePlan, draw: _Draw
) -> None:
    story = _Story(plan.opened_at, _end_of_story(rng, setting, plan))
    if plan.status == "closed":
        plan.closing_reason = _weighted(rng, CLOSING_REASONS)
        plan.closing_summary = rng.choice(CLOSING_SUMMARIES[plan.closing_reason])
    if plan.status != "new":
        _plan_assessments(rng, setting, person, plan, story, draw)
    plan.interactions = _timeline(rng, setting, person, plan, story)
    plan.consents = _consents(rng, plan, story, setting.today)


def _end_of_story(rng: random.Random, setting: Setting, plan: CasePlan) -> datetime:
    latest = setting.now - timedelta(minutes=10)
    if plan.status != "closed":
        return latest
    span = (latest - plan.opened_at).days
    return min(plan.opened_at + timedelta(days=rng.randint(60, max(span - 1, 60))), latest)


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _moment(rng: random.Random, day: date, floor: datetime, ceiling: datetime) -> datetime:
    """A working-hours moment (13:00–21:00 UTC, i.e. daytime in Québec) on ``day``, kept in range."""
    moment = datetime(
        day.year, day.month, day.day, rng.randint(13, 20), rng.choice((0, 15, 30, 45))
    )
    return min(max(moment, floor), ceiling)


def _plan_assessments(
    rng: random.Random,
    setting: Setting,
    person: Identity,
    plan: CasePlan,
    story: _Story,
    draw: _Draw,
) -> None:
    last_day = min(story.end.date(), setting.today)
    story.interview = min(plan.opened_at.date() + timedelta(days=rng.randint(0, 14)), last_day)
    first = _first_assessment(rng, setting, person, plan, story.interview)
    plan.assessments.append(first)
    if (last_day - story.interview).days >= 90 and draw.reassessment:
        story.reassessed = _day_between(
            rng,
            story.interview + timedelta(days=90),
            min(story.interview + timedelta(days=180), last_day),
        )
        plan.assessments.append(_reassessment(rng, setting, first, story.reassessed))
    if plan.status in ("active", "on_hold") and draw.draft:
        previous = plan.assessments[-1]
        story.draft = _day_between(rng, previous.interview_date, last_day)
        plan.assessments.append(_draft(rng, setting, previous, story.draft))


def _first_assessment(
    rng: random.Random, setting: Setting, person: Identity, plan: CasePlan, day: date
) -> AssessmentPlan:
    mode = _weighted(rng, INTERVIEW_MODES)
    occupation = _requalification(rng, setting, person)
    levels = _first_levels(rng, setting, person, plan, occupation is not None)
    language = person.interpreter_language
    remote = language is not None and (
        mode != "in_person" or rng.random() < _remote_chance(plan.region)
    )
    return AssessmentPlan(
        levels=levels,
        notes=_need_notes(rng, levels),
        assets=_assets(rng, person, plan, occupation),
        interview_date=day,
        interview_mode=mode,
        interpreter_language=language,
        interpreter_remote=remote,
        requalification_interest=occupation is not None,
        current_occupation=_occupation_title(occupation, person.gender) if occupation else None,
        current_cnp=occupation.cnp if occupation else None,
        target_cnp=_target_cnp(rng, setting, occupation) if occupation else None,
    )


def _remote_chance(region: str) -> float:
    return 0.7 if region in PILOT_REGIONS else 0.25


def _requalification(rng: random.Random, setting: Setting, person: Identity) -> Occupation | None:
    if person.category == "student" or person.age > 55 or not setting.target_cnps:
        return None
    return rng.choice(PRIOR_OCCUPATIONS) if rng.random() < REQUALIFICATION_CHANCE else None


def _occupation_title(occupation: Occupation, gender: str) -> str:
    return occupation.feminine if gender == "woman" else occupation.masculine


def _target_cnp(rng: random.Random, setting: Setting, occupation: Occupation) -> str:
    if occupation.target in setting.target_cnps:
        return occupation.target
    return rng.choice(setting.target_cnps)


def _first_levels(
    rng: random.Random, setting: Setting, person: Identity, plan: CasePlan, requalification: bool
) -> dict[str, str]:
    weights = _need_weights(person, plan, setting)
    low, high = OPEN_NEEDS_RANGE[person.category]
    wanted = rng.randint(low, high)
    chosen = ["employment.requalification"] if requalification else []
    chosen = [key for key in chosen if key in setting.need_keys]
    while len(chosen) < wanted and any(w > 0 for k, w in weights.items() if k not in chosen):
        pool = {k: w for k, w in weights.items() if k not in chosen and w > 0}
        chosen.append(_weighted(rng, pool))
    return {key: _level(rng, person, key) for key in chosen}


def _need_weights(person: Identity, plan: CasePlan, setting: Setting) -> dict[str, float]:
    ages = _children_ages(plan, setting.today)
    spouse_here = any(member.relationship == "spouse" for member in plan.household)
    weights = {}
    for key, weight in NEED_WEIGHTS[person.category].items():
        if key not in setting.need_keys:
            continue
        if key in CHILD_NEEDS:
            low, high = CHILD_NEEDS[key]
            weight = weight if any(low <= a <= high for a in ages) else 0.0
        if key.startswith("francisation.") and not person.low_french:
            weight *= 0.5 if key == "francisation.specialised_course" else 0.05
        if key == "immigration.permanent_residence" and plan.person.permanent_residence_date:
            weight = 0.0
        if key == "immigration.family_sponsorship" and spouse_here:
            weight = 0.0
        weights[key] = weight
    return weights


def _level(rng: random.Random, person: Identity, key: str) -> str:
    domain = key.split(".", 1)[0]
    if domain == "francisation":
        weights = FRANCISATION_SEVERITY[person.french_level]
    else:
        weights = SEVERITY[person.category][domain]
    return rng.choices(OPEN_LEVEL_NAMES, weights=weights)[0]


def _need_notes(rng: random.Random, levels: Mapping[str, str]) -> dict[str, str]:
    return {
        key: rng.choice(NEED_NOTES[key])
        for key in levels
        if key in NEED_NOTES and levels[key] != "none" and rng.random() < 0.4
    }


def _assets(
    rng: random.Random, person: Identity, plan: CasePlan, occupation: Occupation | None
) -> dict[str, str]:
    city = plan.person.city or ""
    country = COUNTRY_DISPLAY.get(person.country) or FRENCH.territories.get(person.country, "")
    texts = {
        "settlement": rng.choice(SETTLEMENT_ASSETS),
        "francisation": _languages_asset(rng, person),
        "community": rng.choice(COMMUNITY_ASSETS),
        "employment": _employment_asset(rng, person, occupation),
        "immigration": rng.choice(IMMIGRATION_ASSETS),
    }
    return {
        domain: texts[domain].format(city=city, country=country)
        for domain in DOMAINS
        if (domain == "employment" and occupation) or rng.random() < ASSET_CHANCE[domain]
    }


def _languages_asset(rng: random.Random, person: Identity) -> str:
    if person.french_level == "beginner" and rng.random() < 0.4:
        return rng.choice(FRANCISATION_ASSETS)
    names = [_language_name(code) for code in person.languages]
    if len(names) == 1:
        return f"Parle {names[0]} ; grande motivation à apprendre le français"
    return f"Parle {', '.join(names[:-1])} et {names[-1]}"


def _employment_asset(rng: random.Random, person: Identity, occupation: Occupation | None) -> str:
    if occupation is not None:
        return f"{occupation.diploma} ({{country}}) ; {rng.randint(3, 15)} ans d'expérience"
    return rng.choice(STUDENT_ASSETS if person.category == "student" else EMPLOYMENT_ASSETS)


def _reassessment(
    rng: random.Random, setting: Setting, previous: AssessmentPlan, day: date
) -> AssessmentPlan:
    levels = dict(previous.levels)
    for key, level in previous.levels.items():
        roll = rng.random()
        if roll < 0.45:
            levels[key] = "none"
        elif roll < 0.7 and level != "low":
            levels[key] = OPEN_LEVEL_NAMES[OPEN_LEVEL_NAMES.index(level) - 1]
    _open_new_needs(rng, setting, levels, rng.randint(0, 2))
    notes = {key: note for key, note in previous.notes.items() if levels.get(key, "none") != "none"}
    return replace(
        previous,
        levels=levels,
        notes=notes,
        interview_date=day,
        interview_mode=_weighted(rng, INTERVIEW_MODES),
    )


def _open_new_needs(
    rng: random.Random, setting: Setting, levels: dict[str, str], wanted: int
) -> None:
    candidates = [
        key
        for key in setting.need_keys
        if levels.get(key, "none") == "none" and key.split(".")[0] in ("employment", "community")
    ]
    for key in rng.sample(candidates, min(wanted, len(candidates))):
        levels[key] = rng.choice(("low", "moderate"))
    while len([v for v in levels.values() if v != "none"]) < 2 and candidates:
        levels[candidates.pop(0)] = "low"


def _draft(
    rng: random.Random, setting: Setting, previous: AssessmentPlan, day: date
) -> AssessmentPlan:
    levels = dict(previous.levels)
    _open_new_needs(rng, setting, levels, 1)
    met = rng.random() < 0.6
    return replace(
        previous,
        levels=levels,
        interview_date=day if met else None,
        interview_mode=_weighted(rng, INTERVIEW_MODES) if met else None,
        complete=False,
    )


# --- Timeline -------------------------------------------------------------------------------


def _timeline(
    rng: random.Random, setting: Setting, person: Identity, plan: CasePlan, story: _Story
) -> list[InteractionFields]:
    partner = _partner(rng, setting, plan.region)
    context = {"partner": partner, "city": plan.person.city or ""}
    entries = [_intake(rng, person, plan, story, context)]
    if story.interview is None:
        entries.append(_booking_call(rng, person, story))
    else:
        entries.append(_interview_entry(rng, person, plan.assessments[0], story))
        entries += _follow_ups(rng, person, plan, story, context)
    if story.reassessed is not None:
        entries.append(_reassessment_entry(rng, person, plan, story))
    if story.draft is not None:
        entries.append(
            _note(
                rng,
                story,
                story.draft,
                "Réévaluation commencée ; à terminer au prochain rendez-vous.",
            )
        )
    if plan.status == "on_hold":
        day = _day_between(rng, (story.interview or story.opened_at.date()), story.end.date())
        entries.append(_note(rng, story, day, rng.choice(HOLD_NOTES)))
    entries = sorted(entries, key=lambda entry: entry.occurred_at)
    if plan.status == "closed":
        entries = entries[: MAX_INTERACTIONS - 1]
        entries.append(_closing_entry(plan, story))
    return entries[:MAX_INTERACTIONS]


def _partner(rng: random.Random, setting: Setting, region: str) -> str:
    names = setting.partners.get(region)
    return rng.choice(names) if names else "l'organisme partenaire"


def _intake(
    rng: random.Random, person: Identity, plan: CasePlan, story: _Story, context: Mapping[str, str]
) -> InteractionFields:
    kind, summary = INTAKE_NOTES[plan.origin]
    moment = _moment(rng, story.opened_at.date(), story.opened_at, story.end)
    if kind == "meeting":
        return _contact(rng, person, "meeting", moment, summary.format(**context), "in_person", 20)
    return InteractionFields(kind=kind, occurred_at=moment, summary=summary.format(**context))


def _booking_call(rng: random.Random, person: Identity, story: _Story) -> InteractionFields:
    day = _day_between(rng, story.opened_at.date(), story.end.date())
    summary = "Appel pour fixer le premier entretien d'évaluation des besoins."
    if person.interpreter_language:
        summary = (
            summary[:-1]
            + f" ; interprète en {_language_name(person.interpreter_language)} réservé."
        )
    return _contact(
        rng, person, "phone", _moment(rng, day, story.opened_at, story.end), summary, "phone"
    )


def _language_name(code: str) -> str:
    return FRENCH.languages.get(code, code)


def _contact(
    rng: random.Random,
    person: Identity,
    kind: str,
    moment: datetime,
    summary: str,
    mode: str,
    minutes: int | None = None,
    remote: bool | None = None,
) -> InteractionFields:
    """A call or a meeting, with the interpreter the person needs."""
    language = person.interpreter_language
    if minutes is None:
        minutes = rng.randint(5, 35) if kind == "phone" else rng.randint(30, 90)
    if language:
        minutes = min(minutes + rng.choice((10, 15, 30)), 600)
    return InteractionFields(
        kind=kind,
        occurred_at=moment,
        summary=summary,
        duration_minutes=minutes,
        mode=mode,
        interpreter_language=language,
        interpreter_remote=bool(language)
        and (remote if remote is not None else mode != "in_person"),
    )


def _interview_entry(
    rng: random.Random, person: Identity, first: AssessmentPlan, story: _Story
) -> InteractionFields:
    moment = _moment(rng, story.interview, story.opened_at, story.end)
    kind = "phone" if first.interview_mode == "phone" else "meeting"
    if first.interpreter_language:
        summary = f"Premier entretien d'évaluation des besoins avec interprète en {_language_name(first.interpreter_language)}."
        if first.interpreter_remote:
            summary = summary[:-1] + ", interprétation à distance."
    else:
        summary = rng.choice(
            (
                "Premier entretien d'évaluation des besoins dans les cinq domaines.",
                "Entretien d'évaluation des besoins ; plan d'action à préparer.",
                f"Premier entretien d'évaluation des besoins, en {_language_name(person.preferred_language)}.",
            )
        )
    minutes = rng.randint(60, 120)
    return _contact(
        rng, person, kind, moment, summary, first.interview_mode, minutes, first.interpreter_remote
    )


def _follow_ups(
    rng: random.Random, person: Identity, plan: CasePlan, story: _Story, context: Mapping[str, str]
) -> list[InteractionFields]:
    wanted = {"active": (1, 8), "on_hold": (1, 6), "closed": (1, 7)}[plan.status]
    choices = [entry for key in plan.assessments[0].open_needs for entry in FOLLOW_UPS.get(key, ())]
    choices += list(GENERIC_FOLLOW_UPS)
    entries = []
    for kind, summary in rng.sample(choices, min(rng.randint(*wanted), len(choices))):
        day = _day_between(rng, story.interview, story.end.date())
        moment = _moment(rng, day, story.opened_at, story.end)
        text = summary.format(**context)
        if kind in ("phone", "meeting"):
            mode = "phone" if kind == "phone" else rng.choice(("in_person", "in_person", "video"))
            entries.append(_contact(rng, person, kind, moment, text, mode))
        else:
            entries.append(InteractionFields(kind=kind, occurred_at=moment, summary=text))
    return entries


def _reassessment_entry(
    rng: random.Random, person: Identity, plan: CasePlan, story: _Story
) -> InteractionFields:
    before, after = plan.assessments[0], plan.assessments[1]
    solved = len([key for key in before.open_needs if after.levels.get(key) == "none"])
    summary = {
        0: "Réévaluation des besoins : plan d'action ajusté.",
        1: "Réévaluation des besoins : un besoin réglé depuis la première évaluation.",
    }.get(
        solved, f"Réévaluation des besoins : {solved} besoins réglés depuis la première évaluation."
    )
    kind = "phone" if after.interview_mode == "phone" else "meeting"
    moment = _moment(rng, story.reassessed, story.opened_at, story.end)
    return _contact(
        rng,
        person,
        kind,
        moment,
        summary,
        after.interview_mode,
        rng.randint(45, 90),
        after.interpreter_remote,
    )


def _note(rng: random.Random, story: _Story, day: date, summary: str) -> InteractionFields:
    return InteractionFields(
        kind="note", occurred_at=_moment(rng, day, story.opened_at, story.end), summary=summary
    )


def _closing_entry(plan: CasePlan, story: _Story) -> InteractionFields:
    return InteractionFields(
        kind="note", occurred_at=story.end, summary=CLOSING_NOTES[plan.closing_reason or "other"]
    )


# --- Consents, follow-up, transfers ---------------------------------------------------------


def _consents(rng: random.Random, plan: CasePlan, story: _Story, today: date) -> list[ConsentPlan]:
    if rng.random() >= 0.7:
        return []
    purposes = ["share_partner"]
    if plan.assessments and plan.assessments[0].requalification_interest:
        purposes.append("share_mtess")
    if plan.person.email:
        purposes.append("contact_email")
    if plan.person.phone:
        purposes.append("contact_sms")
    wanted = min(rng.choices((1, 2, 3), weights=(5, 3, 1))[0], len(purposes))
    given_on = story.interview or story.opened_at.date()
    return [_consent(rng, purpose, given_on, today) for purpose in rng.sample(purposes, wanted)]


def _consent(rng: random.Random, purpose: str, given_on: date, today: date) -> ConsentPlan:
    method = _weighted(rng, CONSENT_METHODS)
    withdrawn = None
    if (today - given_on).days > 14 and rng.random() < 0.08:
        withdrawn = _day_between(rng, given_on + timedelta(days=7), today)
    return ConsentPlan(purpose, given_on, method, withdrawn)


def _follow_up(rng: random.Random, status: str, kind: str, today: date) -> date | None:
    if status == "closed" or kind == "none":
        return None
    if kind == "overdue":
        return today - timedelta(days=rng.randint(1, 30))
    return today + timedelta(days=rng.randint(1, 42))


def _plan_transfers(rng: random.Random, plans: Sequence[CasePlan], count: int) -> None:
    candidates = [
        plan for plan in plans if plan.agent != HOME_AGENT and plan.status in ("active", "on_hold")
    ]
    wanted = 3 if count >= 60 else 2
    for plan in rng.sample(candidates, min(wanted, len(candidates))):
        plan.transfer_reason = rng.choice(TRANSFER_REASONS)


# --- Writing through the service layer ------------------------------------------------------


@dataclass(frozen=True)
class _Refs:
    """Database rows and ids the plan's codes resolve to."""

    users: Mapping[str, User]
    region_ids: Mapping[str, int]
    need_ids: Mapping[str, int]
    domain_ids: Mapping[str, int]


def _demo_agents() -> dict[str, User]:
    agents = {}
    for username in (HOME_AGENT, SECOND_AGENT, *ROSTER_AGENTS):
        user = find_user(username)
        if user is not None and user.role == "agent" and user.active and user.service_point_id:
            agents[username] = user
    return agents


def _setting(agents: Mapping[str, User]) -> Setting:
    now = utcnow()
    catalogue = assessments.catalogue()
    seats = tuple(
        AgentSeat(name, user.region.code, user.service_point.city if user.service_point else None)
        for name, user in agents.items()
    )
    return Setting(
        agents=seats,
        need_keys=tuple(f"{d.code}.{n.code}" for d in catalogue for n in d.needs),
        target_cnps=tuple(o.cnp for o in assessments.occupations()),
        host_cities=_host_cities(),
        partners=_partners(),
        now=now,
        today=min(date.today(), now.date()),
    )


def _host_cities() -> dict[str, tuple[str, ...]]:
    rows = db.session.execute(
        select(Region.code, HostCity.name).join(HostCity.region).order_by(HostCity.name)
    )
    found: dict[str, list[str]] = {}
    for code, name in rows:
        found.setdefault(code, []).append(name)
    return {code: tuple(names) for code, names in found.items()}


def _partners() -> dict[str, tuple[str, ...]]:
    rows = db.session.execute(
        select(Region.code, Organisation.name)
        .join(Organisation.region)
        .where(Organisation.active.is_(True), Organisation.kind != "government")
        .order_by(Organisation.code)
    )
    found: dict[str, list[str]] = {}
    for code, name in rows:
        found.setdefault(code, []).append(name)
    return {code: tuple(names) for code, names in found.items()}


def _refs(agents: Mapping[str, User]) -> _Refs:
    catalogue = assessments.catalogue()
    return _Refs(
        users=agents,
        region_ids=dict(db.session.execute(select(Region.code, Region.id)).all()),
        need_ids={f"{d.code}.{n.code}": n.id for d in catalogue for n in d.needs},
        domain_ids={d.code: d.id for d in catalogue},
    )


def _write_case(refs: _Refs, plan: CasePlan) -> Case:
    agent = refs.users[plan.agent]
    person = replace(plan.person, destination_region_id=refs.region_ids[plan.region])
    case = cases.open_case(agent, person, plan.origin, plan.priority, plan.opened_at)
    for member in plan.household:
        cases.add_household_member(
            agent, case, member.relationship, member.given_names, member.family_name, member.born
        )
    for interaction in plan.interactions:
        # Plans are in UTC; the service layer takes Québec wall-clock time, as an agent types it.
        local = replace(interaction, occurred_at=utc_to_local(interaction.occurred_at))
        cases.add_interaction(agent, case, local)
    for version in plan.assessments:
        _write_assessment(refs, agent, case, version)
    for consent in plan.consents:
        _write_consent(agent, case, consent)
    cases.update_case(
        agent,
        case,
        plan.status,
        plan.priority,
        plan.follow_up,
        case.version,
        plan.closing_reason,
        plan.closing_summary,
    )
    home = refs.users.get(HOME_AGENT)
    if plan.transfer_reason and home is not None:
        cases.request_transfer(agent, case, home, plan.transfer_reason)
    return case


def _write_assessment(refs: _Refs, agent: User, case: Case, version: AssessmentPlan) -> None:
    assessment = assessments.start(agent, case)
    values = assessments.AssessmentValues(
        interview_date=version.interview_date,
        interview_mode=version.interview_mode,
        interpreter_language=version.interpreter_language,
        interpreter_remote=version.interpreter_remote,
        requalification_interest=version.requalification_interest,
        current_occupation=version.current_occupation,
        current_cnp=version.current_cnp,
        target_cnp=version.target_cnp,
        levels={need_id: version.levels.get(key, "none") for key, need_id in refs.need_ids.items()},
        notes={need_id: version.notes.get(key) for key, need_id in refs.need_ids.items()},
        assets={refs.domain_ids[domain]: text for domain, text in version.assets.items()},
    )
    assessments.save(agent, assessment, values, assessment.version, complete=version.complete)


def _write_consent(agent: User, case: Case, consent: ConsentPlan) -> None:
    row = cases.record_consent(agent, case, consent.purpose, consent.given_on, consent.method)
    if consent.withdrawn_on is not None:
        cases.withdraw_consent(agent, case, row.id, consent.withdrawn_on)


def load_demo_cases(
    count: int, progress: Callable[[str], None] | None = None, seed: int = 2026
) -> int:
    """Create `count` illustrative cases through the service layer; returns how many were created."""
    agents = _demo_agents()
    if not agents:
        raise ValueError(
            "aucune agente ou aucun agent de démonstration : lancez d'abord les comptes de démonstration"
        )
    step = progress or (lambda _label: None)
    plans = plan_cases(max(count, 0), seed, _setting(agents))
    refs = _refs(agents)
    for number, plan in enumerate(plans, start=1):
        _write_case(refs, plan)
        if number % PROGRESS_EVERY == 0 or number == len(plans):
            step(f"dossiers de démonstration {number}/{len(plans)}")
    db.session.commit()
    return len(plans)
