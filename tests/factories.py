"""Factories (factory-boy) for every model tests build, and the data a client posts."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from deals.models import DealRegistration
from incentives.models import CommissionLine, CommissionPlan, CommissionRule, ExchangeRate, PayoutRun
from partners.models import (
    Agreement,
    AgreementSignature,
    Application,
    FitCriterion,
    Partner,
    PartnerType,
    RevenueBand,
    Tier,
    User,
)
from prm.roles import Role

PASSWORD = "a-Strong-test-password-1"


class TierFactory(DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Tier {n}")
    rank = factory.Sequence(lambda n: n + 10)


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n} Ltd")
    partner_type = PartnerType.RESELLER
    country = "DE"
    website = factory.LazyAttribute(lambda o: f"https://www.{slugify(o.name)}.com")
    status = Partner.Status.ACTIVE
    tier = factory.SubFactory(TierFactory, name="Silver", rank=2)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create:
            from allauth.account.models import EmailAddress

            obj.save()
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class PartnerUserFactory(UserFactory):
    partner = factory.SubFactory(PartnerFactory)
    role = Role.PARTNER_ADMIN


class StaffUserFactory(UserFactory):
    role = Role.MANAGER
    is_staff = True

    @factory.post_generation
    def group(obj, create, extracted, **kwargs):
        if create and obj.role in (Role.MANAGER, Role.FINANCE):
            from django.contrib.auth.models import Group

            obj.groups.add(Group.objects.get(name=obj.role))


class ApplicationFactory(DjangoModelFactory):
    class Meta:
        model = Application

    company_name = factory.Sequence(lambda n: f"Applicant {n}")
    website = factory.Sequence(lambda n: f"https://www.applicant{n}.com")
    website_domain = factory.Sequence(lambda n: f"applicant{n}.com")
    country = "DE"
    partner_type = PartnerType.RESELLER
    employees = 50
    annual_revenue = RevenueBand.FROM_1M
    specializations = factory.LazyFunction(lambda: ["cloud"])
    contact_name = "Pat Applicant"
    contact_email = factory.Sequence(lambda n: f"pat@applicant{n}.com")


class FitCriterionFactory(DjangoModelFactory):
    """A criterion of the ideal partner profile (by default: partner is in Germany or Austria)."""

    class Meta:
        model = FitCriterion

    name = factory.Sequence(lambda n: f"Criterion {n}")
    kind = FitCriterion.Kind.COUNTRY
    weight = 10
    values = factory.LazyFunction(lambda: ["DE", "AT"])


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = Agreement
        django_get_or_create = ["version"]

    version = 1
    body_markdown = "# Agreement\n\nThe partner sells; we pay commissions."
    text_sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.body_markdown.encode()).hexdigest())
    published_at = factory.LazyFunction(timezone.now)


class SignatureFactory(DjangoModelFactory):
    class Meta:
        model = AgreementSignature

    partner = factory.SubFactory(PartnerFactory)
    agreement = factory.SubFactory(AgreementFactory)
    signer = factory.SubFactory(PartnerUserFactory, partner=factory.SelfAttribute("..partner"))
    signer_name = "Sam Signer"
    signer_email = factory.LazyAttribute(lambda o: o.signer.email)
    text_sha256 = factory.LazyAttribute(lambda o: o.agreement.text_sha256)
    signed_at = factory.LazyFunction(timezone.now)
    ip_address = "203.0.113.5"
    pdf = factory.django.FileField(filename="signed.pdf", data=b"%PDF-1.7 test")


class DealFactory(DjangoModelFactory):
    """A submitted registration with its comparison keys (as deals.services would set them).

    Traits give the other states as the services leave them: ``draft``, ``approved`` (protected
    for 90 days), ``rejected``, ``won`` (at its amount, today), ``lost`` and ``expired``.
    """

    class Meta:
        model = DealRegistration

    class Params:
        draft = factory.Trait(status="draft", submitted_at=None)
        approved = factory.Trait(
            status="approved",
            decided_at=factory.LazyFunction(timezone.now),
            protected_until=factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=90)),
        )
        rejected = factory.Trait(
            status="rejected",
            decided_at=factory.LazyFunction(timezone.now),
            rejection_reason="Not a fit for the program.",
        )
        won = factory.Trait(
            status="won",
            decided_at=factory.LazyFunction(timezone.now),
            final_amount=factory.SelfAttribute("amount"),
            closed_on=factory.LazyFunction(timezone.localdate),
        )
        lost = factory.Trait(
            status="lost",
            decided_at=factory.LazyFunction(timezone.now),
            closed_on=factory.LazyFunction(timezone.localdate),
        )
        expired = factory.Trait(
            status="expired", protected_until=factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1))
        )

    partner = factory.SubFactory(PartnerFactory)
    customer_name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    customer_domain = factory.Sequence(lambda n: f"customer{n}.com")
    customer_country = "US"
    amount = Decimal("10000.00")
    currency = "USD"
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    status = "submitted"
    submitted_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from deals.services import _set_keys

        deal = model_class(*args, **kwargs)
        _set_keys(deal)
        deal.save()
        return deal


class DealDataFactory(factory.DictFactory):
    """What a partner posts to register a deal (``POST /api/v1/deals/``); ``portal=True`` gives
    the portal form's fields (products typed as one comma-separated line)."""

    class Params:
        portal = factory.Trait(products="Cloud Suite, Security Add-on")

    customer_name = "Fabrikam Inc."
    customer_domain = "fabrikam.com"
    customer_country = "US"
    customer_contact_name = "Jordan Buyer"
    customer_contact_email = "jordan@fabrikam.com"
    amount = "48000.00"
    currency = "USD"
    expected_close_date = factory.LazyFunction(lambda: (timezone.localdate() + timedelta(days=30)).isoformat())
    products = factory.LazyFunction(lambda: ["Cloud Suite"])
    notes = "Renewal of their on-premise licences."


# --- Incentives --------------------------------------------------------------------------------


class CommissionPlanFactory(DjangoModelFactory):
    """A plan for a tier (Silver, the tier PartnerFactory gives) or, with ``partner=``, for one
    partner. ``rules=[{"kind": ..., "rate": ...}, ...]`` gives its rules in order (default: 10%)."""

    class Meta:
        model = CommissionPlan
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Plan {n}")
    partner = None
    tier = factory.Maybe(
        "partner", yes_declaration=None, no_declaration=factory.SubFactory(TierFactory, name="Silver", rank=2)
    )
    currency = "USD"
    period = CommissionPlan.Period.YEAR
    starts_on = date(2000, 1, 1)

    @factory.post_generation
    def rules(obj, create, extracted, **kwargs):
        if not create:
            return
        rules = (
            extracted if extracted is not None else [{"kind": CommissionRule.Kind.PERCENTAGE, "rate": Decimal("10")}]
        )
        for order, rule in enumerate(rules):
            CommissionRuleFactory(plan=obj, order=order, **rule)


class CommissionRuleFactory(DjangoModelFactory):
    class Meta:
        model = CommissionRule

    plan = factory.SubFactory(CommissionPlanFactory, rules=[])
    kind = CommissionRule.Kind.PERCENTAGE
    # A rate only where the kind has one (a flat bonus is an amount).
    rate = factory.LazyAttribute(lambda o: Decimal("10") if o.kind == CommissionRule.Kind.PERCENTAGE else None)
    order = 0


class CommissionLineFactory(DjangoModelFactory):
    """A ledger line as finance would book it: an adjustment, booked ten days ago unless
    ``booked_on`` says otherwise (the ledger refuses a line dated before the last one)."""

    class Meta:
        model = CommissionLine

    partner = factory.SubFactory(PartnerFactory)
    kind = CommissionLine.Kind.ADJUSTMENT
    amount = Decimal("100.00")
    currency = "USD"
    explanation = "Line"
    booked_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs["amount"] = Decimal(kwargs["amount"])
        return kwargs


class ExchangeRateFactory(DjangoModelFactory):
    """A finance-entered rate: 1 ``from_currency`` = ``rate`` ``to_currency`` on ``date``."""

    class Meta:
        model = ExchangeRate

    date = factory.LazyFunction(timezone.localdate)
    from_currency = "USD"
    to_currency = "EUR"
    rate = Decimal("0.9")

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs["rate"] = Decimal(kwargs["rate"])
        return kwargs


class PayoutRunFactory(DjangoModelFactory):
    """A run as finance creates it (status calculating, holding the one open slot); nothing is
    calculated: call ``incentives.services.payout_run_calculate(run.pk)`` for that. A run made
    with a closed status (``status="paid"``) does not hold the open slot."""

    class Meta:
        model = PayoutRun

    period_end = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=7))
    created_by = factory.SubFactory(StaffUserFactory, role="finance")
    status = PayoutRun.Status.CALCULATING
    open_slot = factory.LazyAttribute(lambda o: "open" if o.status in PayoutRun.OPEN_STATUSES else None)


# --- Enablement ---------------------------------------------------------------------------------------


def course_with_quiz(*, title="Product foundations", pass_mark=60, questions=None, **fields):
    """A published course with two lessons and a quiz. ``questions``: [(text, [(choice, right), ...])];
    by default three questions, the second with two right choices."""
    from enablement.models import Choice, Course, Lesson, Question

    course = Course.objects.create(
        title=title, pass_mark=pass_mark, published=True, summary="What we sell and why.", **fields
    )
    Lesson.objects.create(
        course=course, position=1, title="The product", body_markdown="# Cloud Suite\n\nIt runs **everywhere**."
    )
    Lesson.objects.create(course=course, position=2, title="The buyer", body_markdown="Buyers care about *cost*.")
    questions = questions or [
        ("What does Cloud Suite run on?", [("Everywhere", True), ("Only on Tuesdays", False), ("Paper", False)]),
        ("Which are add-ons?", [("Security Add-on", True), ("Managed Backup", True), ("A toaster", False)]),
        ("Who buys it?", [("IT leaders", True), ("Nobody", False)]),
    ]
    for position, (text, choices) in enumerate(questions, 1):
        question = Question.objects.create(course=course, position=position, text=text)
        for order, (choice, right) in enumerate(choices, 1):
            Choice.objects.create(question=question, position=order, text=choice, is_correct=right)
    return course


def right_answers(course) -> dict[str, object]:
    """The API's answer shape with every question right (a list where several choices are right)."""
    answers = {}
    for question in course.questions.prefetch_related("choices"):
        right = [c.pk for c in question.choices.all() if c.is_correct]
        answers[str(question.pk)] = right if len(right) > 1 else right[0]
    return answers


def wrong_choice(question):
    return next(c.pk for c in question.choices.all() if not c.is_correct)
