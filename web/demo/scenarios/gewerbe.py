"""Demo cases of Gewerbeanmeldung: new notifications, registered businesses, permit proofs awaited (and
reminded), permits under review, accepted and refused, and a notification with findings to clarify."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from web.demo.runner import Day, DemoCase, Step
from web.demo.samples import Doc

KEY = "gewerbeanmeldung"


def _person(vorname: str, name: str, born: str, rolle: str = "inhaber", nation: str = "deutsch") -> dict[str, str]:
    return {"name": name, "vorname": vorname, "geburtsdatum": born, "geburtsort": "Krefeld",
            "staatsangehoerigkeit": nation, "rolle": rolle}


def _notification(business: str, form: str, persons: list[dict[str, str]], activity: str, category: str,
                  street: str, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "eingangsdatum": Day(), "anlass": "neuerrichtung", "betrieb_name": business, "rechtsform": form,
        "personen": persons, "taetigkeit": activity, "taetigkeit_kategorie": category,
        "alkohol_ausschank": False, "handwerk_zulassungspflichtig": False, "betrieb_strasse": street,
        "betrieb_plz": "47798", "betrieb_ort": "Krefeld", "betriebsbeginn": Day(7), "beschaeftigte": 0,
        "email": "kontakt@example.org",
    }
    data.update(more)
    return data


# (days ago, stage, business, legal form, persons, activity, category, street, extra fields)
BUSINESSES: tuple[tuple[float, str, str, str, list[dict[str, str]], str, str, str, dict[str, Any]], ...] = (
    (0.5, "neu", "Blumen Jansen", "einzelunternehmen", [_person("Marlies", "Jansen", "1979-04-02")],
     "Einzelhandel mit Blumen und Pflanzen", "einzelhandel", "Königstraße 120", {}),
    (1, "neu", "Kaya Döner & Grill", "einzelunternehmen", [_person("Emre", "Kaya", "1990-08-19", nation="türkisch")],
     "Imbiss ohne Alkoholausschank", "gastronomie", "Ostwall 12", {}),
    (2, "neu", "Rhein-IT Service GbR", "gbr", [_person("Lukas", "Brandt", "1992-01-30", "gesellschafter"),
                                               _person("Mira", "Sommer", "1993-06-11", "gesellschafter")],
     "IT-Dienstleistungen, Softwareentwicklung", "dienstleistung", "Philadelphiastraße 2", {}),
    (6, "registriert", "Radhaus Mustermann", "einzelunternehmen", [_person("Erika", "Mustermann", "1985-03-14")],
     "Einzelhandel mit Fahrrädern, Fahrradteilen und Zubehör", "einzelhandel", "Hochstraße 91", {}),
    (12, "registriert", "Schneiderei Petrović", "einzelunternehmen",
     [_person("Ana", "Petrović", "1976-12-01", nation="kroatisch")],
     "Änderungsschneiderei", "dienstleistung", "Neue Linner Straße 70", {}),
    (18, "registriert", "Bäckerei Hülsmann GmbH", "gmbh", [_person("Georg", "Hülsmann", "1968-05-23",
                                                                  "geschaeftsfuehrer")],
     "Bäckerhandwerk mit Verkauf", "handwerk", "Dionysiusstraße 40",
     {"handwerk_zulassungspflichtig": False, "registergericht": "Amtsgericht Krefeld", "registernummer": "HRB 18234",
      "beschaeftigte": 6}),
    (25, "registriert", "Weinstube am Dionysiusplatz", "einzelunternehmen",
     [_person("Carla", "Rossi", "1981-09-09", nation="italienisch")],
     "Weinhandel (Flaschenverkauf, kein Ausschank)", "einzelhandel", "Dionysiusplatz 5", {}),
    (33, "registriert", "Uerdinger Umzüge UG", "ug", [_person("Tobias", "Reuter", "1988-02-17", "geschaeftsfuehrer")],
     "Umzugsdienstleistungen", "dienstleistung", "Am Marktplatz 3, Uerdingen",
     {"registergericht": "Amtsgericht Krefeld", "registernummer": "HRB 19011", "beschaeftigte": 3}),
    (40, "registriert", "Hofladen Fischeln", "einzelunternehmen", [_person("Jan", "Terhorst", "1983-10-04")],
     "Verkauf eigener landwirtschaftlicher Erzeugnisse", "einzelhandel", "Kölner Straße 612", {}),
    (3, "nachweis", "Sicherheitsdienst Niederrhein", "einzelunternehmen",
     [_person("Dirk", "Hartmann", "1975-07-21")], "Bewachung von Veranstaltungen", "bewachung",
     "Mevissenstraße 60", {}),
    (9, "nachweis", "Immobilien Weiß", "einzelunternehmen", [_person("Sandra", "Weiß", "1980-03-03")],
     "Vermittlung von Wohnungen und Gewerbeflächen", "makler", "Rheinstraße 76", {}),
    (20, "nachweis", "Finanzberatung Özdemir", "einzelunternehmen",
     [_person("Can", "Özdemir", "1986-11-29", nation="deutsch")], "Vermittlung von Finanzanlagen",
     "finanzanlagen", "Ostwall 150", {}),
    (10, "pruefung", "Versicherungsbüro Klein", "einzelunternehmen", [_person("Heike", "Klein", "1972-04-14")],
     "Vermittlung von Versicherungen", "versicherungsvermittlung", "Lewerentzstraße 104", {}),
    (16, "pruefung", "Kneipe Zum Schwan", "einzelunternehmen", [_person("Frank", "Lorenz", "1969-08-08")],
     "Schankwirtschaft mit Ausschank alkoholischer Getränke", "gastronomie", "Marktstraße 44",
     {"alkohol_ausschank": True}),
    (28, "anerkannt", "Wachschutz Linn", "einzelunternehmen", [_person("Sven", "Albers", "1984-01-09")],
     "Objektbewachung", "bewachung", "Rheinbabenstraße 85", {}),
    (45, "anerkannt", "Makler Büro Bockum", "einzelunternehmen", [_person("Ingrid", "Hahn", "1965-06-30")],
     "Immobilienmakler", "makler", "Uerdinger Straße 550", {}),
    (30, "abgelehnt", "Anlageberatung Schnell", "einzelunternehmen", [_person("Ralf", "Schnell", "1979-12-12")],
     "Vermittlung von Finanzanlagen", "finanzanlagen", "Westwall 9", {}),
    (4, "hinweise", "Gartenbau Krämer", "einzelunternehmen",
     [_person("Paul", "Krämer", "1977-05-05"), _person("Lisa", "Krämer", "1979-02-02")],
     "Garten- und Landschaftsbau", "dienstleistung", "Hülser Straße 400", {}),
    (14, "hinweise", "Reinigungsservice Blank", "einzelunternehmen", [_person("Olga", "Blank", "1987-03-21")],
     "Gebäudereinigung", "dienstleistung", "Gladbacher Straße 77", {"betriebsbeginn": Day(-150)}),
)
CAPTURE = timedelta(hours=4)


def _steps(stage: str, data: dict[str, Any], name: str, permit_type: str) -> tuple[Step, ...]:
    if stage == "neu":
        return ()
    steps = [Step(CAPTURE, "bella", "Task_erfassen", data)]
    if stage == "hinweise" or stage in ("registriert", "nachweis"):
        return tuple(steps)
    proof = {"erlaubnis_nachweis": Doc(f"Erlaubnis-{name}.pdf", f"Erlaubnis {name}",
                                       (f"Erlaubnis {permit_type}", f"für {name}", "Stadt Düsseldorf, Ordnungsamt")),
             "erlaubnis_behoerde": "Stadt Düsseldorf, Ordnungsamt", "erlaubnis_datum": Day(-30),
             "erlaubnis_aktenzeichen": "32.14-2025/0815"}
    steps.append(Step(timedelta(days=5), "bella", "Task_erlaubnis_nachweisen", proof))
    if stage == "anerkannt":
        steps.append(Step(timedelta(days=8), "gerd", "Task_erlaubnis_pruefen",
                          {"entscheidung": "anerkannt", "pruefvermerk": "Erlaubnisurkunde im Original gesehen."}))
    elif stage == "abgelehnt":
        steps.append(Step(timedelta(days=8), "gerd", "Task_erlaubnis_pruefen", {
            "entscheidung": "abgelehnt",
            "ablehnungsgrund": "Die vorgelegte Erlaubnis nach § 34f GewO ist widerrufen worden."}))
    return tuple(steps)


def cases() -> list[DemoCase]:
    found = []
    for days, stage, business, form, persons, activity, category, street, extra in BUSINESSES:
        data = _notification(business, form, persons, activity, category, street, **extra)
        owner = f"{persons[0]['vorname']} {persons[0]['name']}"
        found.append(DemoCase(
            process_key=KEY, title=f"Gewerbeanmeldung {business}", plan_code="32.20", unit="32",
            applicant={"kind": "organisation" if form != "einzelunternehmen" else "person",
                       "name": business if form != "einzelunternehmen" else owner},
            started_days_ago=days, clerk="bella", steps=_steps(stage, data, business, activity)))
    return found
