"""Team mode: the client side of logging to a trackio server.

`wire` is the batch format and its encoding, `wire_decoding` reading it back (the
server's side), `links` the writer's view of the servers it logs to, `sender` the
thread that delivers spooled batches (`trackio.storage.spool`), `opening` what
`init()` asks the server, `http` the requests themselves, `upload` what
`trackio sync` sends, `pypi_protocol` the PyPI trackio's v1 protocol as a target.
"""
