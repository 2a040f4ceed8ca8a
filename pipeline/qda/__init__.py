"""REFI-QDA exchange: the coded statements as a `.qdpx` project, the codebook as a `.qdc`, both ways.

REFI-QDA (www.qdasoftware.org) is the standard NVivo, ATLAS.ti, MAXQDA and
QualCoder import and export. `project` builds `project.qde` (namespace
`urn:QDA-XML:project:1.0`) with lxml, deterministically (GUIDs are uuid5 of
stable keys, the zip has fixed timestamps); `reading` reads back a project an
analyst edited and `diff` turns the codings they changed into correction
rules; `codebook` converts the codebook to and from a `.qdc`.
"""

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
