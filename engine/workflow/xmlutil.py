"""Small lxml helpers shared by the model preprocessing modules."""

from __future__ import annotations

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"  # Camunda's ancestor; same attribute vocabulary
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def namespace(element: etree._Element) -> str | None:
    return etree.QName(element).namespace if isinstance(element.tag, str) else None


def bpmn_elements(root: etree._Element, *names: str) -> list[etree._Element]:
    return [e for e in root.iter(*(f"{{{BPMN_NS}}}{n}" for n in names))]


def camunda_attr(element: etree._Element, name: str) -> str | None:
    value = element.get(f"{{{CAMUNDA_NS}}}{name}")
    return value.strip() if value is not None else None


def extension_children(element: etree._Element, ns: str, name: str | None = None) -> list[etree._Element]:
    """Children of `element`'s bpmn:extensionElements in namespace `ns` (optionally of one name)."""
    result = []
    for ext in element.findall(f"{{{BPMN_NS}}}extensionElements"):
        for child in ext:
            if namespace(child) == ns and (name is None or local(child) == name):
                result.append(child)
    return result


def extension_elements(element: etree._Element) -> etree._Element:
    """The element's bpmn:extensionElements, created in the schema's position if missing."""
    existing = element.find(f"{{{BPMN_NS}}}extensionElements")
    if existing is not None:
        return existing
    ext = etree.Element(f"{{{BPMN_NS}}}extensionElements")
    position = sum(1 for child in element if local(child) == "documentation")
    element.insert(position, ext)
    return ext


def spiff_extension(element: etree._Element, name: str) -> etree._Element | None:
    found = extension_children(element, SPIFF_NS, name)
    return found[0] if found else None


def set_spiff_extension(element: etree._Element, name: str, text: str | None = None) -> etree._Element:
    """Create (or reuse) `spiffworkflow:name` under the element's extensionElements."""
    node = spiff_extension(element, name)
    if node is None:
        node = etree.SubElement(extension_elements(element), f"{{{SPIFF_NS}}}{name}")
    if text is not None:
        node.text = text
    return node


def append_script(element: etree._Element, name: str, line: str) -> None:
    """Append one line to the element's spiffworkflow:preScript / postScript."""
    node = set_spiff_extension(element, name)
    node.text = f"{node.text}\n{line}" if node.text and node.text.strip() else line


def _properties(element: etree._Element, ns: str) -> dict[str, str]:
    props: dict[str, str] = {}
    for container in extension_children(element, ns, "properties"):
        for prop in container.iter(f"{{{ns}}}property"):
            if prop.get("name"):
                props[prop.get("name", "")] = prop.get("value", "")
    return props


def spiff_properties(element: etree._Element) -> dict[str, str]:
    return _properties(element, SPIFF_NS)


def normalize_activiti(root: etree._Element) -> None:
    """Rewrite activiti: attributes and extension elements to the camunda: namespace (same vocabulary)."""
    prefix = f"{{{ACTIVITI_NS}}}"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.startswith(prefix):
            element.tag = f"{{{CAMUNDA_NS}}}{element.tag[len(prefix) :]}"
        for name in [n for n in element.attrib if n.startswith(prefix)]:
            value = element.attrib.pop(name)
            element.set(f"{{{CAMUNDA_NS}}}{name[len(prefix) :]}", value)


def process_properties(element: etree._Element) -> dict[str, str]:
    """Properties of a process: `spiffworkflow:properties` or `camunda:properties` (Spiff's win)."""
    return _properties(element, CAMUNDA_NS) | _properties(element, SPIFF_NS)
