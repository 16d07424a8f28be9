"""The Communauté métropolitaine de Montréal (CMM): its member municipalities outside the
regions of Montréal and Laval.

NOT FROM THE ACTION PLAN: the plan speaks of settling « à l'extérieur de la région
métropolitaine de Montréal » but lists no municipalities. This list was written for casework
from the CMM's published membership (cmm.qc.ca, « Municipalités membres », 82 municipalities)
without that page at hand. L'Épiphanie was removed: it is in Statistics Canada's census
metropolitan area but not a CMM member (as are Saint-Jérôme, Lavaltrie, Coteau-du-Lac,
Saint-Placide, Les Coteaux, Saint-Colomban, Saint-Zotique and Gore, none listed here). With
Montréal's 16 municipalities and Laval it now names 82. Check it name by name against the
CMM's current list before the indicators are published. Regions 06
(Montréal) and 13 (Laval) lie wholly in the CMM; parts of 14 (Lanaudière), 15 (Laurentides)
and 16 (Montérégie) do.
"""

from __future__ import annotations

import unicodedata

WHOLLY_IN_CMM = frozenset({"06", "13"})
PARTLY_IN_CMM = frozenset({"14", "15", "16"})

MUNICIPALITIES = {
    # Lanaudière (MRC Les Moulins, L'Assomption)
    "14": (
        "Charlemagne",
        "L'Assomption",
        "Mascouche",
        "Repentigny",
        "Saint-Sulpice",
        "Terrebonne",
    ),
    # Laurentides (MRC Thérèse-De Blainville, Deux-Montagnes, Mirabel)
    "15": (
        "Blainville",
        "Boisbriand",
        "Bois-des-Filion",
        "Deux-Montagnes",
        "Lorraine",
        "Mirabel",
        "Oka",
        "Pointe-Calumet",
        "Rosemère",
        "Saint-Eustache",
        "Saint-Joseph-du-Lac",
        "Sainte-Anne-des-Plaines",
        "Sainte-Marthe-sur-le-Lac",
        "Sainte-Thérèse",
    ),
    # Montérégie (agglomeration of Longueuil and the south crown)
    "16": (
        "Longueuil",
        "Boucherville",
        "Brossard",
        "Saint-Bruno-de-Montarville",
        "Saint-Lambert",
        "Beauharnois",
        "Beloeil",
        "Calixa-Lavallée",
        "Candiac",
        "Carignan",
        "Chambly",
        "Châteauguay",
        "Contrecoeur",
        "Delson",
        "Hudson",
        "L'Île-Cadieux",
        "L'Île-Perrot",
        "La Prairie",
        "Léry",
        "Les Cèdres",
        "McMasterville",
        "Mercier",
        "Mont-Saint-Hilaire",
        "Notre-Dame-de-l'Île-Perrot",
        "Otterburn Park",
        "Pincourt",
        "Pointe-des-Cascades",
        "Richelieu",
        "Saint-Amable",
        "Saint-Basile-le-Grand",
        "Saint-Constant",
        "Saint-Isidore",
        "Saint-Jean-Baptiste",
        "Saint-Lazare",
        "Saint-Mathias-sur-Richelieu",
        "Saint-Mathieu",
        "Saint-Mathieu-de-Beloeil",
        "Saint-Philippe",
        "Sainte-Catherine",
        "Sainte-Julie",
        "Terrasse-Vaudreuil",
        "Varennes",
        "Vaudreuil-Dorion",
        "Vaudreuil-sur-le-Lac",
        "Verchères",
    ),
}


def _key(name: str) -> str:
    """Accents, case, dashes, apostrophes and spaces do not matter: « st-lambert » is not
    « Saint-Lambert » though (abbreviations are not expanded)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return "".join(ch for ch in plain if ch.isalnum())


_KEYS = {region: {_key(n) for n in names} for region, names in MUNICIPALITIES.items()}


def in_montreal_cmm(region_code: str | None, municipality: str | None) -> bool | None:
    """Whether a place of residence lies in the CMM; None when the region is not known."""
    if region_code is None:
        return None
    if region_code in WHOLLY_IN_CMM:
        return True
    if region_code in PARTLY_IN_CMM:
        return bool(municipality) and _key(municipality) in _KEYS[region_code]
    return False
