"""The consolidated licence: one document for every permit of an application, at every level.

Free of Flask. `numbering` makes licence and permit numbers, `signing` holds the service's
Ed25519 keys, `content` gathers what a licence says, `issuance` issues a new version when an
application is wholly granted or renewed, `pdf` draws it, and `verification` tells anyone
whether a licence number is genuine and in force. Import the submodules: this package's
models are part of the schema `workflows.models` loads, so it imports nothing here.
"""
