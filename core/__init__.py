"""The bottom layer every stage imports (collect → classify → store → alert → serve → show): the domain model and the
primitives each stage shares (one date parser, one language-code map, one quarantine, one outbound-request guard,
one redactor). Nothing here imports a stage."""
