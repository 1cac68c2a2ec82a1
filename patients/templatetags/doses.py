from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join

from patients.plans import guidelines
from patients.plans.generator import fmt, tablets_for

register = template.Library()


@register.filter
def mg(value) -> str:
    """A dose in mg as people write it: 1.875, 10, 0.5."""
    if value is None or value == "":
        return "—"
    return fmt(Decimal(value))


@register.filter
def signed_percent(value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    return f"{'+' if value > 0 else ''}{fmt(value)}%"


@register.simple_tag
def diazepam_equivalent(medication, dose_mg):
    """'≈ 40 mg diazepam (Ashton Manual) · 20 mg (VA/DoD 2021)', sources named, never silent."""
    if dose_mg is None or medication is None:
        return ""
    rows = medication.diazepam_equivalents(Decimal(dose_mg))
    if not rows:
        return ""
    parts = format_html_join(" · ", "{} mg ({})", ((fmt(value), source) for value, source in rows))
    return format_html('<span class="de text-body-secondary small">≈ diazepam {}</span>', parts)


FORM_WORDS = {
    "tablet": ("tablet", "tablets"),
    "odt": ("dissolving tablet", "dissolving tablets"),
    "capsule": ("capsule", "capsules"),
}


@register.simple_tag
def tablets(medication, dose_mg) -> str:
    """'1 × 1 mg tablet + 1½ × 0.5 mg tablets' from the medication's strengths."""
    dose = Decimal(dose_mg)
    if dose == 0:
        return "none"
    strengths = [(s.strength_mg, s.form, s.splittable) for s in medication.strengths.all()]
    plan = tablets_for(dose, strengths)
    if not plan:
        return "cannot be made from the available strengths: ask the pharmacy"
    parts = []
    for count, strength, form in plan:
        whole, half = divmod(count, 1)
        amount = (str(int(whole)) if whole else "") + ("½" if half else "")
        singular, plural = FORM_WORDS.get(form, (form, form + "s"))
        parts.append(f"{amount} × {fmt(strength)} mg {singular if count <= 1 else plural}")
    return " + ".join(parts)


@register.filter
def warning_tiers(warnings) -> dict:
    """A plan's warnings as {"deviations": [...], "notes": [...]}, each a dict with its code,
    message, step and tier: generated warnings and stored ones (also from before tiers)."""
    tiers: dict[str, list] = {"deviations": [], "notes": []}
    for warning in warnings or []:
        item = warning.as_dict() if hasattr(warning, "as_dict") else dict(warning)
        item["tier"] = guidelines.tier_of(item["code"])
        tiers["notes" if item["tier"] == guidelines.NOTE else "deviations"].append(item)
    return tiers
