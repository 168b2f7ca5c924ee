"""``gitstore serve``: ZenML 0.10's zen server REST API over a configuration repository.

A thin adapter: each route of ZenML 0.10.0's ``zen_server_api.py`` calls the
same method of :class:`gitstore.GitZenStore` and answers with the same path,
method, JSON body, status code and error body as ZenML's server did, so
unchanged ZenML 0.10 clients (``RestZenStore``, the ``zenml`` CLI) store into
git. What git adds: every write is one commit authored as the ZenML user who
made it, integrity-breaking writes are refused with the located problems, and
with ``enforce_permissions`` each request is judged against the repository's
roles.

FastAPI and uvicorn come with the ``serve`` extra (``pip install
'gitstore[serve]'``); nothing here is imported unless ``gitstore serve`` runs.
"""
