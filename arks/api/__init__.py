"""The minting API (``/api/v1/``): how institutions mint and manage ARKs from their own systems.

Views are thin: an input serializer validates, a selector finds what the key may act on, one
service writes, an output serializer answers. Authentication (``Authorization: Token <key>``),
throttling, the JSON body parser and the one exception handler that turns every error into
``{"errors": [{"code", "field", "message"}]}`` live beside them, one concern per module.
"""
