"""Who a label stands for within one document: role labels resolved to the person holding the role.

"The Chair (Hon. Anthony Rota (...))" names the chair; the bare "The Chair"
turns that follow are Anthony Rota's, until another label names a new holder
("The Acting Chair (Mrs. Carol Hughes)" is a role of its own). A bare role
label before any label names its holder goes to the header's person of that
role when the header lists exactly one (a "Moderator:" label in a webinar whose
header names the moderator), else to the first holder the document names later,
else it stays the role as written ("The Chair").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.segment.labels import Label
from pipeline.segment.names import Roster, clean_name
from pipeline.segment.normalise import collapse_spaces, fold
from pipeline.segment.turns import NameJudge


@dataclass(frozen=True)
class Speaker:
    """A statement's speaker: the person as written, the label as written, what the label says."""

    who: str  # the person as written ("Hon. Anthony Rota"); a role as written when unresolved
    label: str  # the label as written ("The Chair")
    role: str = ""  # the session role a role word gives ("moderator"), else ""
    affiliation: str = ""
    pending_role: str = ""  # a bare role word whose holder is not known yet


@dataclass
class Identities:
    """Resolves labels in document order, remembering who holds each role."""

    judge: NameJudge
    roster: Roster
    holders: dict[str, str] = field(default_factory=dict)
    first_holders: dict[str, str] = field(default_factory=dict)

    def speaker(self, written: str) -> Speaker:
        """The speaker a label (as written before its colon) stands for; records role holders."""
        written = collapse_spaces(written)
        label = self.judge.label(written) if written else None
        if label is None:
            return Speaker(written, written)
        if label.name:
            if label.role_word:
                self.holders[label.role_word] = label.name
                self.first_holders.setdefault(label.role_word, label.name)
            return Speaker(label.name, written, label.role, label.affiliation)
        holder = self.holders.get(label.role_word) or self._header_holder(label)
        if holder:
            return Speaker(holder, written, label.role, label.affiliation)
        return Speaker(written, written, label.role, label.affiliation, pending_role=label.role_word)

    def key(self, written: str) -> str:
        """A comparable identity for `written` given the holders known now (does not record)."""
        written = collapse_spaces(written)
        label = self.judge.label(written) if written else None
        if label is None:
            return fold(clean_name(written))
        who = label.name or self.holders.get(label.role_word) or self._header_holder(label) or written
        person = self.roster.resolve(who)
        return fold(person.name if person else clean_name(who))

    def settle(self, speaker: Speaker) -> Speaker:
        """A pending bare role label, once the whole document is read: the first holder it names."""
        holder = self.first_holders.get(speaker.pending_role)
        if not speaker.pending_role or not holder:
            return speaker
        return Speaker(holder, speaker.label, speaker.role, speaker.affiliation)

    def _header_holder(self, label: Label) -> str:
        if label.role == "other":
            return ""  # 'Q', 'A' name nobody in particular
        listed = [p for p in self.roster.people if p.role == label.role]
        return listed[0].name if len(listed) == 1 else ""
