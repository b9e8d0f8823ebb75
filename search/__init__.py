"""policy-search: search and cited answers over Chinese education work plans."""
