"""``gitstore lsp``: a language server that knows the whole configuration repository.

A thin adapter: :mod:`gitstore.lsp.model` keeps a warm, incrementally updated
snapshot (documents, reference index, problems per file) built from the core,
and :mod:`gitstore.lsp.server` translates LSP requests into calls of it.
pygls and lsprotocol are needed only here (the ``lsp`` extra).
"""
