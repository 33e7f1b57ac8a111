"""`aipm tui`: the roadmap as a tree to walk and mark with a key (Textual; imported only by `aipm tui`)."""
