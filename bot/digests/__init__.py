"""The weekly digest: one data class built from storage, rendered for each target.

``build.py`` turns a channel's stored replies, findings, themes and concerns into a ``Digest``
(pure data); ``text.py`` renders it as plain text / Markdown, ``chart.py`` as a PNG. Block Kit
and Adaptive Card renderers live with their platforms in ``handlers/``.
"""
