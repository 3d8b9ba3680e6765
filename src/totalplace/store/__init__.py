"""The store's parts below :class:`totalplace.workspace.Workspace`: the writer
lock and per-process staging (:mod:`.locking`), the catalog's tables
(:mod:`.catalog`), the metadata and checksums that make each table file
checkable on its own (:mod:`.stamp`, :mod:`.integrity`), the explicit
clean-up and rebuild (:mod:`.repair`) and the views readers query
(:mod:`.views`).  None of them imports ingest.
"""
