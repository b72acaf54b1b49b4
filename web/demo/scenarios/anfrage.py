"""Demo cases of Allgemeine Anfrage: new requests for the citizens' office and some answered ones."""

from __future__ import annotations

from datetime import timedelta

from web.demo.runner import DemoCase, Step

KEY = "allgemeine_anfrage"
REQUESTS = (
    ("Erika Mustermann", "Anfrage zu Öffnungszeiten des Bürgerbüros", 1, None),
    ("Max Müller", "Frage zum Sperrmüll in der Rheinstraße", 2, None),
    ("Ayşe Yılmaz", "Bitte um Rückruf wegen Anwohnerparkausweis", 0.5, None),
    ("Jonas Vogt", "Straßenlaterne in der Hubertusstraße defekt", 12,
     "Die Störung wurde an die SWK weitergegeben; die Reparatur ist für nächste Woche geplant."),
    ("Fatma Kaya", "Anmeldung eines Hundes", 20,
     "Die Anmeldung zur Hundesteuer ist online möglich; den Link haben wir Ihnen per E-Mail geschickt."),
)


def cases() -> list[DemoCase]:
    found = []
    for name, title, days, answer in REQUESTS:
        steps: tuple[Step, ...] = ()
        if answer:
            steps = (Step(timedelta(hours=2), "bella", "Task_erfassen",
                          {"name": name, "email": "buerger@example.org", "anliegen": title}),
                     Step(timedelta(days=3), "fritz", "Task_beantworten", {"antwort": answer}))
        found.append(DemoCase(process_key=KEY, title=title, applicant={"kind": "person", "name": name},
                              plan_code="01.10", unit="10", started_days_ago=days, clerk="bella", steps=steps))
    return found
