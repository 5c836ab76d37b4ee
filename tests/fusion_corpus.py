"""Articles written for the fusion tests: several reports per real event, from
different outlets, with a wire copy and with tolls that disagree.

EXPECTED maps each real event to (type, town, number of articles, killed-like
figure key, low, best, high, disputed)."""
from __future__ import annotations

import json
from pathlib import Path

ARTICLES = [
    {"id": "homs-1", "published": "2017-03-15", "source": "Agence Un",
     "text": "Mardi, au moins 12 civils ont été tués par des tirs d'obus sur le quartier d'Al-Waer à Homs, "
             "selon l'Observatoire syrien des droits de l'homme."},
    {"id": "homs-2", "published": "2017-03-15", "source": "Quotidien Deux",
     "text": "Les tirs d'obus de mardi sur le quartier d'Al-Waer, à Homs, ont tué 15 civils, "
             "selon la Défense civile syrienne."},
    {"id": "homs-3", "published": "2017-03-16", "source": "Radio Quatre",
     "text": "L'agence officielle Sana a fait état de neuf civils tués mardi par des tirs d'obus à Homs."},
    {"id": "idlib-1", "published": "2017-03-16", "source": "Agence Un",
     "text": "Des frappes aériennes ont tué jeudi au moins 20 personnes dans la ville d'Idleb, a indiqué "
             "l'Observatoire syrien des droits de l'homme.\nLes raids ont visé un marché très fréquenté du "
             "centre de la ville, où des dizaines de personnes faisaient leurs courses.\nLes secouristes "
             "cherchaient encore des survivants sous les décombres dans la soirée, selon des témoins."},
    {"id": "idlib-copy", "published": "2017-03-16", "source": "Journal Trois",
     "text": "Des frappes aériennes ont tué jeudi au moins 20 personnes dans la ville d'Idleb, a indiqué "
             "l'Observatoire syrien des droits de l'homme.\nLes raids ont visé un marché très fréquenté du "
             "centre-ville, où des dizaines de personnes faisaient leurs courses.\nLes secouristes "
             "cherchaient toujours des survivants sous les décombres dans la soirée, selon des témoins."},
    {"id": "idlib-2", "published": "2017-03-17", "source": "Quotidien Deux",
     "text": "Vingt-sept personnes ont été tuées jeudi dans des frappes aériennes sur Idleb, "
             "selon la Défense civile syrienne."},
    {"id": "madaya", "published": "2017-04-14", "source": "Agence Un",
     "text": "Plus de 2.000 personnes ont été évacuées vendredi de la ville syrienne de Madaya, selon le Comité international "
             "de la Croix-Rouge."},
    {"id": "mosul", "published": "2017-04-15", "source": "Radio Quatre",
     "text": "Un kamikaze s'est fait exploser samedi dans un marché de Mossoul, tuant sept personnes, "
             "selon la police irakienne."},
]

EXPECTED = {
    ("shelling", "Homs"): (3, "killed_civilians", 9, 12, 15, True),
    ("air_strike", "Idlib"): (3, "killed", 20, 20, 27, False),
    ("evacuation", "Madaya"): (1, "evacuated", 2000, 2000, 2000, False),
    ("bombing", "Mosul"): (1, "killed", 7, 7, 7, False),
}


def write_updates(path: Path, n: int, note: str) -> Path:
    """``n`` distinct texts telling the corpus's events again and again (updates,
    copies), as JSON Lines: enough work for a kill to land between and inside
    fusions, and the same file for an uninterrupted reference run."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            a = dict(ARTICLES[i % len(ARTICLES)])
            a["id"] = f"{a['id']}-{i}"
            a["text"] = a["text"] + f"\nMise à jour numéro {i} de cette dépêche, {note}."
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    return path

