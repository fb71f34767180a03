"""Writing plans: a plan's content (``PlanSpec``) is checked whole, then written as a new revision in one
transaction; a revision is never changed afterwards, so a running response keeps the plan it started
with. Writing the same content again writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from citywatch.core import inputs
from citywatch.core.errors import Invalid
from citywatch.core.models import AdminArea, Organisation
from citywatch.response.choices import HAZARDS, LEVEL_SPELLINGS, ROMAN, ProposalRule, ResponseLevel
from citywatch.response.models import Plan, PlanAction, PlanLevel, PlanRevision
from citywatch.response.models.plans import MAX_MINUTES

MAX_ACTIONS_PER_LEVEL = 100
MAX_TEXT = 300
MAX_CONDITION = 4000


@dataclass
class ActionSpec:
    title: str
    organisation: str
    minutes: int


@dataclass
class LevelSpec:
    level: str
    condition: str = ""
    actions: list[ActionSpec] = field(default_factory=list)


@dataclass
class PlanSpec:
    """What a plan says, as files, forms, the API and the demo give it."""

    hazard: str
    name: str
    area: AdminArea
    rule: str
    levels: list[LevelSpec]
    demo: bool | None = None  # None: an existing plan keeps its label; a new one is not demo content

    def content(self) -> list:
        """The parts a revision holds, comparable with ``revision_content``."""
        return [
            (lv.level, lv.condition, [(a.title, a.organisation, a.minutes) for a in lv.actions])
            for lv in sorted(self.levels, key=lambda lv: -int(lv.level))
        ]


def read_level(value, label=None) -> str:
    """A response level as files and forms write it ("Ⅲ", "III", "3", "Ⅲ级"); Invalid otherwise."""
    text = str(value if value is not None else "").strip().upper().replace("LEVEL", "").strip()
    level = LEVEL_SPELLINGS.get(text)
    if level is None:
        raise Invalid(
            _("%(field)s: %(value)s is not a response level; use Ⅳ, Ⅲ, Ⅱ or Ⅰ")
            % {"field": label or _("level"), "value": repr(str(value)[:20])}
        )
    return level


def read_hazard(value) -> str:
    slug = str(value or "").strip().lower()
    by_name = {str(label): key for key, label in HAZARDS.items()}
    slug = by_name.get(str(value or "").strip(), slug)
    if slug not in HAZARDS:
        raise Invalid(
            _("unknown hazard %(value)s; use one of %(hazards)s")
            % {"value": repr(str(value)[:40]), "hazards": ", ".join(HAZARDS)}
        )
    return slug


def read_rule(value) -> str:
    text = str(value or "").strip()
    by_label = {str(label): key for key, label in ProposalRule.choices}
    rule = by_label.get(text, text.lower())
    if rule not in ProposalRule.values:
        raise Invalid(
            _("unknown proposal rule %(value)s; use one of %(rules)s")
            % {"value": repr(text[:40]), "rules": ", ".join(ProposalRule.values)}
        )
    return rule


def read_minutes(value) -> int:
    return inputs.number(value, _("time limit (minutes)"), integer=True, minimum=1, maximum=MAX_MINUTES)


def clean_spec(spec: PlanSpec) -> PlanSpec:
    """Check a whole plan (Invalid with every problem in ``details``); texts trimmed."""
    problems = []
    spec.name = spec.name.strip()
    if not spec.name or len(spec.name) > 200:
        problems.append(_("the plan needs a name of at most 200 characters"))
    seen = set()
    for lv in spec.levels:
        if lv.level not in ResponseLevel.values:
            problems.append(_("unknown level %(level)s") % {"level": lv.level})
            continue
        if lv.level in seen:
            problems.append(_("level %(level)s is given twice") % {"level": ROMAN[lv.level]})
        seen.add(lv.level)
        lv.condition = (lv.condition or "").strip()
        if len(lv.condition) > MAX_CONDITION:
            problems.append(_("the conditions of level %(level)s are too long") % {"level": ROMAN[lv.level]})
        if len(lv.actions) > MAX_ACTIONS_PER_LEVEL:
            problems.append(
                _("level %(level)s has more than %(max)s actions")
                % {"level": ROMAN[lv.level], "max": MAX_ACTIONS_PER_LEVEL}
            )
        for n, action in enumerate(lv.actions, start=1):
            action.title = (action.title or "").strip()
            action.organisation = (action.organisation or "").strip()
            where = {"level": ROMAN[lv.level], "n": n}
            if not action.title or len(action.title) > MAX_TEXT:
                problems.append(_("level %(level)s, action %(n)s: the action needs a text") % where)
            if not action.organisation or len(action.organisation) > 200:
                problems.append(_("level %(level)s, action %(n)s: the action needs an organisation") % where)
            if not isinstance(action.minutes, int) or not 1 <= action.minutes <= MAX_MINUTES:
                problems.append(
                    _("level %(level)s, action %(n)s: the time limit must be 1 to %(max)s minutes")
                    % {**where, "max": MAX_MINUTES}
                )
    if not spec.levels:
        problems.append(_("the plan has no level"))
    if problems:
        raise Invalid("; ".join(problems), details=problems)
    return spec


def revision_content(revision: PlanRevision | None) -> list | None:
    if revision is None:
        return None
    levels = revision.levels.prefetch_related("actions").order_by("level")
    return [
        (
            lv.level,
            lv.condition,
            [(a.title, a.organisation_name, a.minutes) for a in lv.actions.order_by("position", "id")],
        )
        for lv in sorted(levels, key=lambda lv: -int(lv.level))
    ]


def find_organisation(name: str, area: AdminArea) -> Organisation | None:
    """The registered organisation of that name, nearest the plan's area (its own, then above, then
    anywhere)."""
    candidates = list(Organisation.objects.filter(name=name).select_related("area"))
    if not candidates:
        return None
    candidates.sort(key=lambda o: (not area.path.startswith(o.area.path), -len(o.area.path), o.pk))
    return candidates[0]


@transaction.atomic
def save_plan(user, spec: PlanSpec, note: str = "") -> tuple[Plan, str]:
    """Write ``spec`` as the plan's new current revision; ("created" | "updated" | "unchanged")."""
    clean_spec(spec)
    note = inputs.text(note, _("note"), maximum=500)
    plan = Plan.objects.select_for_update().filter(hazard=spec.hazard, area=spec.area).first()
    outcome = "updated"
    if plan is None:
        plan = Plan.objects.create(
            hazard=spec.hazard, area=spec.area, name=spec.name, rule=spec.rule, demo=bool(spec.demo)
        )
        outcome = "created"
    else:
        changed = False
        for name in ("name", "rule", "demo"):
            if getattr(spec, name) is not None and getattr(plan, name) != getattr(spec, name):
                setattr(plan, name, getattr(spec, name))
                changed = True
        if revision_content(plan.current) == spec.content():
            if changed:
                plan.save()
                return plan, "updated"
            return plan, "unchanged"
    number = (plan.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = PlanRevision.objects.create(
        plan=plan, number=number, note=note, created_by=user if getattr(user, "pk", None) else None
    )
    for lv in sorted(spec.levels, key=lambda lv: -int(lv.level)):
        level = PlanLevel.objects.create(revision=revision, level=lv.level, condition=lv.condition)
        for position, action in enumerate(lv.actions, start=1):
            PlanAction.objects.create(
                level=level,
                position=position,
                title=action.title,
                organisation=find_organisation(action.organisation, spec.area),
                organisation_name=action.organisation,
                minutes=action.minutes,
            )
    plan.current = revision
    plan.save()
    return plan, outcome


def spec_of(plan: Plan, revision: PlanRevision | None = None) -> PlanSpec:
    """A revision (the current one by default) as a ``PlanSpec`` (the edit form, the export)."""
    revision = revision or plan.current
    levels = []
    if revision is not None:
        for lv in revision.levels.prefetch_related("actions").order_by("-level"):
            levels.append(
                LevelSpec(
                    lv.level,
                    lv.condition,
                    [
                        ActionSpec(a.title, a.organisation_name, a.minutes)
                        for a in lv.actions.order_by("position", "id")
                    ],
                )
            )
    return PlanSpec(plan.hazard, plan.name, plan.area, plan.rule, levels, plan.demo)
