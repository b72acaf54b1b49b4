"""Demo cases of Führerscheinumtausch in every state: new, captured, waiting for the old licence, reminded,
escalated, collected and closed, rejected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from web.demo.runner import DemoCase, Step
from web.demo.samples import Doc

KEY = "fuehrerscheinumtausch"
MESSAGE = "alter_fuehrerschein_eingegangen"

# vorname, name, geburtsdatum, geburtsort, strasse, klassen
PEOPLE = (
    ("Erika", "Mustermann", "1961-05-17", "Krefeld", "Rheinstraße 12", ["3", "1b"]),
    ("Hans-Jürgen", "Schmitz", "1955-02-03", "Krefeld", "Ostwall 101", ["3"]),
    ("Aylin", "Demir", "1972-11-23", "Duisburg", "Dionysiusstraße 8", ["3"]),
    ("Wolfgang", "Peters", "1958-07-30", "Mönchengladbach", "Uerdinger Straße 330", ["1", "3"]),
    ("Monika", "Hoffmann", "1966-01-12", "Krefeld", "Moerser Straße 45", ["3"]),
    ("Stefan", "Janssen", "1969-09-09", "Kempen", "Hülser Straße 210", ["3", "1a"]),
    ("Gabriele", "Wagner", "1963-04-21", "Viersen", "Friedrichstraße 3", ["3"]),
    ("Klaus", "van der Berg", "1957-12-24", "Venlo", "Kölner Straße 77", ["2", "3"]),
    ("Petra", "Kowalski", "1975-03-15", "Krefeld", "Bismarckstraße 19", ["3"]),
    ("Dieter", "Schulte", "1960-08-08", "Neuss", "Gladbacher Straße 502", ["3"]),
    ("Sabine", "Krüger", "1968-06-01", "Krefeld", "Westwall 40", ["3"]),
    ("Mehmet", "Yıldız", "1970-10-10", "Krefeld", "Lewerentzstraße 22", ["3"]),
    ("Ursula", "Becker", "1954-02-28", "Essen", "Sankt-Anton-Straße 60", ["3"]),
    ("Thomas", "Lehmann", "1973-12-05", "Krefeld", "Oranierring 11", ["3", "1b"]),
    ("Birgit", "Neumann", "1962-09-17", "Düsseldorf", "Hochstraße 88", ["3"]),
    ("Andreas", "Fischer", "1959-01-30", "Krefeld", "Marktstraße 5", ["3"]),
    ("Renate", "Meyer", "1951-05-05", "Kleve", "Vinzenzstraße 14", ["3"]),
    ("Jörg", "Weber", "1967-07-07", "Krefeld", "Lindenstraße 33", ["3", "1"]),
    ("Natalia", "Nowak", "1974-04-04", "Krefeld", "Gutenbergstraße 2", ["3"]),
    ("Bernd", "Schröder", "1956-11-11", "Willich", "Kurfürstenstraße 9", ["3"]),
)
# what has happened to each case: (started days ago, stage)
PLAN = (
    (1, "neu"), (0.3, "neu"), (2, "neu"),
    (3, "erfasst"), (4, "erfasst"), (5, "erfasst"),
    (8, "wartet"), (11, "wartet"), (13, "wartet"), (15, "wartet"),
    (20, "erinnert"), (27, "erinnert"), (36, "erinnert"),
    (48, "eskaliert"), (55, "eskaliert"),
    (24, "abgeschlossen"), (35, "abgeschlossen"), (52, "abgeschlossen"),
    (9, "abgelehnt"), (60, "verloren"),
)


def _application(number: int, person: tuple[str, str, str, str, str, list[str]]) -> dict[str, Any]:
    vorname, name, born, place, street, classes = person
    return {
        "name": name, "vorname": vorname, "geburtsdatum": born, "geburtsort": place, "strasse": street,
        "plz": "47798", "ort": "Krefeld", "email": f"{vorname.lower().split('-')[0]}.{number}@example.org",
        "fuehrerschein_nummer": f"KR-{born[:4]}-{4700 + number}", "ausstellende_behoerde": "Stadt Krefeld",
        "fuehrerscheinklassen": classes, "einwilligung": True,
        "lichtbild": Doc(f"Lichtbild-{name}.png", f"Lichtbild {vorname} {name}"),
        "unterschrift": Doc(f"Unterschrift-{name}.png", f"Unterschrift {vorname} {name}"),
    }


def _steps(stage: str, application: dict[str, Any]) -> tuple[Step, ...]:
    if stage == "neu":
        return ()
    steps = [Step(timedelta(hours=3), "bella", "Task_antrag_erfassen", application)]
    if stage == "erfasst":
        return tuple(steps)
    if stage == "abgelehnt":
        return (*steps, Step(timedelta(days=2), "lena", "Task_formalpruefung", {
            "pruefergebnis": "ablehnen",
            "ablehnungsgrund": "Die angegebene Führerscheinnummer gehört zu einer anderen Person."}))
    steps.append(Step(timedelta(days=2), "lena", "Task_formalpruefung", {"pruefergebnis": "bestellen"}))
    correlate = {"fuehrerschein_nummer": application["fuehrerschein_nummer"]}
    if stage == "abgeschlossen":
        steps.append(Step(timedelta(days=9), "poststelle", message=MESSAGE, correlate=correlate))
    elif stage == "verloren":
        steps.append(Step(timedelta(days=47), "lena", "Task_rueckgabe_klaeren", {
            "rueckgabe": "verloren", "rueckgabe_vermerk": "Verlusterklärung liegt vor."}))
    return tuple(steps)


def cases() -> list[DemoCase]:
    found = []
    for number, ((days, stage), person) in enumerate(zip(PLAN, PEOPLE, strict=True), start=1):
        application = _application(number, person)
        name = f"{person[0]} {person[1]}"
        found.append(DemoCase(
            process_key=KEY, title=f"Umtausch Führerschein {name}", plan_code="36.30", unit="36",
            applicant={"kind": "person", "name": name, "address": f"{person[4]}\n47798 Krefeld"},
            started_days_ago=days, clerk="bella", data={}, steps=_steps(stage, application)))
    return found
