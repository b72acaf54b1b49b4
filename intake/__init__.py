"""What arrives from outside — upload, API, drop folder, e-mail — stored first, then processed by the worker.

`intake.receive` stores each item (a document in the intake inbox file plus an `intake_item` row, one
transaction); `intake.process` checks it (`intake.einvoice`), routes it by Leitweg-ID (`intake.routing`)
and files it as a case in the accounts-payable file of its unit (`intake.filing`). The channels are
`intake.dropfolder` and `intake.mail`; the API and the web upload call `receive` directly.
"""
