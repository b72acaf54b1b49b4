"""Letter rendering (records.letters) and follow-up durations (records.casehandlers), without I/O."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import ValidationFailed
from records.casehandlers import add_duration
from records.letters import Letterhead, LetterRequest, euro, german_date, letter_html

HEAD = Letterhead(authority="Stadt Krefeld", office="Der Oberbürgermeister", address="Rathaus", footer="Fußzeile")


def _request(body: str, **context: object) -> LetterRequest:
    return LetterRequest(body_template=body, subject="Bescheid", reference_number="36.30-2026/00007",
                         recipient="Erika Mustermann\nRheinstraße 1\n47798 Krefeld", day=date(2026, 1, 19),
                         context=dict(context))


def test_letter_has_letterhead_recipient_reference_date_and_escaped_data() -> None:
    html = letter_html(_request("<p>Guten Tag {{ name }}, {{ fee|euro }} bis {{ due|datum }}.</p>",
                                name="<b>Max</b>", fee=1234.5, due="2026-02-01"), HEAD)
    assert "Stadt Krefeld" in html and "36.30-2026/00007" in html and "19.01.2026" in html
    assert "Rheinstraße 1" in html
    assert "Guten Tag &lt;b&gt;Max&lt;/b&gt;, 1.234,50 € bis 01.02.2026." in html


@pytest.mark.parametrize("body", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{% for x in range(10**9) %}{% endfor %}",
    "{{ missing.attr.deeper }}",
    "{{ 1 / 0 }}",
])
def test_hostile_or_broken_templates_are_a_clear_error(body: str) -> None:
    with pytest.raises(ValidationFailed, match="letter template cannot be rendered"):
        letter_html(_request(body), HEAD)


def test_filters_leave_unknown_values_alone() -> None:
    assert german_date("bald") == "bald" and german_date(None) == "" and german_date(date(2026, 3, 4)) == "04.03.2026"
    assert euro("viel") == "viel" and euro("25.3") == "25,30 €" and euro(-1000) == "-1.000,00 €"


@pytest.mark.parametrize(("start", "duration", "expected"), [
    (date(2026, 1, 5), "P5Y", date(2031, 1, 5)),
    (date(2024, 2, 29), "P1Y", date(2025, 2, 28)),
    (date(2026, 1, 31), "P1M", date(2026, 2, 28)),
    (date(2026, 11, 30), "P1Y2M2W3D", date(2028, 2, 16)),
])
def test_durations(start: date, duration: str, expected: date) -> None:
    assert add_duration(start, duration) == expected


@pytest.mark.parametrize("duration", ["P", "5Y", "PT5H", "P1.5Y", ""])
def test_bad_durations_name_the_parameter(duration: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        add_duration(date(2026, 1, 1), duration)
    assert caught.value.details == {"after": "duration"}


def test_a_letter_includes_parts_deployed_with_it_and_a_missing_part_is_a_clear_error() -> None:
    from core.errors import NotFound

    parts = {"kopf.html": "<p>Betrieb {{ name }}</p>"}

    def part(name: str) -> str:
        if name not in parts:
            raise NotFound(f"letter template {name!r} was not deployed with this process")
        return parts[name]

    body = '{% include "kopf.html" %}<p>Ende</p>'
    html = letter_html(LetterRequest(**{**_request(body, name="<Radhaus>").__dict__, "includes": part}), HEAD)
    assert "<p>Betrieb &lt;Radhaus&gt;</p><p>Ende</p>" in html
    broken = LetterRequest(**{**_request('{% include "fehlt.html" %}').__dict__, "includes": part})
    with pytest.raises(ValidationFailed, match=r"fehlt\.html"):
        letter_html(broken, HEAD)
    with pytest.raises(ValidationFailed, match="cannot be rendered"):  # no parts at all: include is an error
        letter_html(_request(body, name="x"), HEAD)
