"""Demo cases of Rechnungseingang: e-invoices waiting for the ordering unit's approval or a second approval,
paper invoices to capture, paid and rejected invoices."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from web.demo.runner import Day, DemoCase, Step
from web.demo.samples import Doc

KEY = "rechnungseingang"
APPROVERS = {"gewerbeamt": ("gerd", "Gerd Gewerbe"), "fuehrerscheinstelle": ("lena", "Lena Fahrerlaubnis"),
             "kreditoren": ("kira", "Kira Kreditoren")}
SECOND = {"abteilungsleitung": ("anton", "Anton Abteilungsleitung"), "kaemmerei": ("kai", "Kai Kämmerei")}
UNITS = {"gewerbeamt": "32", "fuehrerscheinstelle": "36", "kreditoren": "21"}

# (days ago, stage, seller, street, number, net amount, what, ordering group, second-approval group or None)
INVOICES: tuple[tuple[float, str, str, str, str, str, str, str, str | None], ...] = (
    (0.5, "offen", "Bürobedarf Rhein GmbH", "Rheinstraße 12", "RE-2026-0417", "283.00", "Kopierpapier A4, 50 Pack",
     "gewerbeamt", None),
    (1, "offen", "Niederrhein Druck KG", "Industriestraße 8", "ND-88412", "1240.00", "Druck von Formularen GewA 1",
     "gewerbeamt", None),
    (2, "offen", "Kartenwerk Bundesdruck Service GmbH", "Oranienstraße 91", "KB-2026-117", "4380.50",
     "Versandtaschen für Führerscheine", "fuehrerscheinstelle", None),
    (3, "offen", "Stadtwerke Krefeld AG", "St. Töniser Straße 124", "SWK-5531-26", "8920.00",
     "Strom Verwaltungsgebäude Dezember", "kreditoren", "abteilungsleitung"),
    (1.5, "erfassen", "Elektro Hermes", "Gladbacher Straße 14", "2026-031", "612.40",
     "Reparatur Beleuchtung Bürgerbüro", "kreditoren", None),
    (4, "erfassen", "Malerbetrieb Wolters", "Hülser Straße 77", "W-1187", "3150.00", "Anstrich Flur 2. OG",
     "kreditoren", None),
    (6, "zweitfreigabe", "IT-Haus Niederrhein GmbH", "Mevissenstraße 20", "ITN-26-0091", "14980.00",
     "20 Notebooks für die Führerscheinstelle", "fuehrerscheinstelle", "abteilungsleitung"),
    (8, "zweitfreigabe", "Möbel Schaffrath Objekt GmbH", "Moerser Straße 300", "MSO-7781", "27450.00",
     "Büromöbel Gewerbeamt", "gewerbeamt", "kaemmerei"),
    (9, "zweitfreigabe", "Sicherheitstechnik Linn", "Rheinbabenstraße 3", "STL-4410", "6300.00",
     "Wartung Zutrittskontrolle", "kreditoren", "abteilungsleitung"),
    (12, "bezahlt", "Bürobedarf Rhein GmbH", "Rheinstraße 12", "RE-2026-0388", "96.30", "Toner für Drucker",
     "gewerbeamt", None),
    (20, "bezahlt", "Post & Logistik Krefeld", "Ostwall 200", "PLK-1202", "1745.80", "Portokosten Dezember",
     "fuehrerscheinstelle", None),
    (27, "bezahlt", "Kaffeerösterei am Markt", "Marktstraße 10", "KM-0777", "212.00", "Kaffee für Besprechungen",
     "kreditoren", None),
    (15, "bezahlt", "Softwarehaus Verwaltung digital GmbH", "Philadelphiastraße 40", "SVD-2026-12", "18600.00",
     "Jahreslizenz Fachverfahren Gewerbe", "gewerbeamt", "abteilungsleitung"),
    (33, "bezahlt", "Bau und Umbau Krefeld GmbH", "Ritterstraße 150", "BUK-23-117", "42100.00",
     "Umbau Wartebereich Bürgerbüro", "kreditoren", "kaemmerei"),
    (18, "abgelehnt", "Reinigungsdienst Sauber & Co.", "Gladbacher Straße 77", "RS-9921", "1380.00",
     "Sonderreinigung (nicht beauftragt)", "gewerbeamt", None),
    (24, "abgelehnt2", "Fahrschulbedarf Nord", "Nordstraße 5", "FN-301", "7200.00",
     "Prüfbögen (doppelt berechnet)", "fuehrerscheinstelle", "abteilungsleitung"),
)


def _invoice(seller: str, street: str, number: str, net: str, what: str) -> dict[str, Any]:
    """The invoice as e-invoice intake hands it to the process (`Invoice.to_json()` of an XRechnung)."""
    amount = Decimal(net)
    tax = (amount * Decimal("0.19")).quantize(Decimal("0.01"))
    total = str(amount + tax)
    return {
        "number": number, "issue_date": Day(-2), "type_code": "380", "currency": "EUR", "due_date": Day(28),
        "buyer_reference": "05114000-2101-48", "order_reference": f"B-{number[-3:]}",
        "specification": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
        "seller": {"name": seller, "vat_id": "DE811234567", "street": street, "city": "Krefeld", "postcode": "47798",
                   "country": "DE"},
        "buyer": {"name": "Stadt Krefeld", "vat_id": None, "street": None, "city": "Krefeld", "postcode": None,
                  "country": "DE"},
        "iban": "DE89370400440532013000",
        "lines": [{"id": "1", "description": what, "quantity": "1", "unit_code": "C62", "unit_price": net,
                   "net_amount": net}],
        "vat": [{"category": "S", "rate": "19", "taxable": net, "tax": str(tax)}],
        "net_total": net, "tax_exclusive": net, "tax_inclusive": total, "payable": total, "is_credit_note": False,
    }


def _capture(seller: str, street: str, number: str, net: str, group: str) -> dict[str, Any]:
    total = float((Decimal(net) * Decimal("1.19")).quantize(Decimal("0.01")))
    scan = Doc(f"Rechnung-{number}.pdf", f"Rechnung {number} (Papier, gescannt)",
               (seller, street, "47798 Krefeld", f"Rechnung Nr. {number}", f"Betrag {total} EUR"))
    return {"rechnung_dokument": scan,
            "rechnungsnummer": number, "rechnungsdatum": Day(-3), "lieferant": seller, "lieferant_strasse": street,
            "lieferant_plz": "47798", "lieferant_ort": "Krefeld", "iban": "DE02120300000000202051", "betrag": total,
            "waehrung": "EUR", "faellig_am": Day(25), "candidate_group": group}


def _steps(stage: str, group: str, second: str | None) -> list[Step]:
    login, name = APPROVERS[group]
    first = Step(timedelta(days=2), login, "Task_sachlich_richtig",
                 {"sachlich_entscheidung": "freigeben", "sachlich_name": name})
    if stage in ("offen", "erfassen"):
        return []
    if stage == "abgelehnt":
        return [Step(timedelta(days=2), login, "Task_sachlich_richtig", {
            "sachlich_entscheidung": "ablehnen", "sachlich_name": name,
            "sachlich_begruendung": "Die Leistung wurde von uns nicht beauftragt; eine Bestellung liegt nicht vor."})]
    steps = [first]
    if second is None or stage == "zweitfreigabe":
        return steps
    second_login, second_name = SECOND[second]
    if stage == "abgelehnt2":
        steps.append(Step(timedelta(days=4), second_login, "Task_zweitfreigabe", {
            "zweit_entscheidung": "ablehnen", "zweit_name": second_name,
            "zweit_begruendung": "Die Positionen wurden bereits mit Rechnung FN-288 berechnet."}))
    else:
        steps.append(Step(timedelta(days=4), second_login, "Task_zweitfreigabe",
                          {"zweit_entscheidung": "freigeben", "zweit_name": second_name}))
    return steps


def cases() -> list[DemoCase]:
    found = []
    for days, stage, seller, street, number, net, what, group, second in INVOICES:
        data: dict[str, Any] = {}
        steps = _steps(stage, group, second)
        if stage == "erfassen":
            steps = [Step(timedelta(hours=5), "kira", "Task_rechnung_erfassen",
                          _capture(seller, street, number, net, group))]
        else:
            data = {"invoice": _invoice(seller, street, number, net, what), "unit": UNITS[group],
                    "candidate_group": group,
                    "routing": {"unit": UNITS[group], "candidate_group": group, "routed_by": "route",
                                "leitweg_id": "05114000-2101-48"}}
        found.append(DemoCase(
            process_key=KEY, title=f"Rechnung {number} – {seller}", plan_code="20.30", unit=UNITS[group],
            applicant={"kind": "organisation", "name": seller, "address": f"{street}\n47798 Krefeld"},
            started_days_ago=days, clerk="intake", data=data, steps=tuple(steps),
            documents=(Doc(f"Rechnung-{number}.pdf", f"Rechnung {number}",
                           (seller, f"Rechnung Nr. {number}", what, f"Nettobetrag {net} EUR zzgl. 19 % USt.")),)
            if stage != "erfassen" else ()))
    return found
