"""Names as CSL names: particles that drop, typographic apostrophes, editor roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Person

# editortype/editoratype -> CSL name variable
EDITOR_ROLES = {
    "editor": "editor",
    "compiler": "compiler",
    "director": "director",
    "organizer": "organizer",
    "collaborator": "contributor",
    "redactor": "contributor",
    "reviser": "contributor",
    "founder": "contributor",
    "continuator": "contributor",
    "translator": "translator",
    "chair": "chair",
    "curator": "curator",
    "producer": "producer",
    "illustrator": "illustrator",
}


def _csl_name(person: Person) -> dict[str, str]:
    name = person.to_csl()
    # "Santos, Cicero Nogueira dos": BibTeX reads "dos" as a given name (its initial would
    # print "C. N. d."); it is a particle that drops, as pandoc and citeproc read it
    given = name.get("given", "").split(" ")
    particle: list[str] = []
    while len(given) > 1 and given[-1][:1].islower() and not given[-1].endswith("."):
        particle.insert(0, given.pop())
    if particle:
        name["given"] = " ".join(given)
        name["dropping-particle"] = " ".join(particle)
    # typographic apostrophes, as pandoc's reader gives them: O'Meara -> O’Meara
    return {k: v.replace("'", "\u2019") for k, v in name.items()}


def csl_names(people: list[Person]) -> list[dict[str, str]]:
    return [_csl_name(p) for p in people]


def add_names(item: dict[str, Any], role: str, people: list[Person]) -> None:
    if people:
        item.setdefault(role, []).extend(csl_names(people))
