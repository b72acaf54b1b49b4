"""Adapters to the systems a procedure talks to outside akte: payment provider, card manufacturer, treasury.

Each is a Protocol (the port) with a fake implementation for the demo and tests; `core.bootstrap` registers
the service-task handlers (`akte.payment`, `akte.card_order`, `akte.payment_order`) with the implementation
to use. A city plugs its real provider (e.g. ePayBL, the Bundesdruckerei's ordering interface, its SAP/
H&H-Verfahren) in by implementing the Protocol.
"""
