"""A command's hold on its search's folder, from the search's start until the command lets go."""

from __future__ import annotations

import contextlib

from flair_hpo.search.callbacks import SearchCallback, SearchContext
from flair_hpo.storage import exclusive_use


class FolderKept(SearchCallback):
    """Holds the search's folder from the search's start into ``held``, so that it stays held after the search
    until the command closes ``held``: no other command's search starts there before the final model is made."""

    def __init__(self, held: contextlib.ExitStack) -> None:
        self.held = held

    def on_search_start(self, context: SearchContext) -> None:
        self.held.enter_context(exclusive_use(context.base_path))
