import hashlib
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from deals.models import DealRegistration
from partners.models import Agreement, AgreementSignature, Application, Partner, PartnerType, RevenueBand, Tier, User
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
    """A submitted registration with its comparison keys (as deals.services would set them)."""

    class Meta:
        model = DealRegistration

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


# --- Enablement ---------------------------------------------------------------------------------------


def course_with_quiz(*, title="Product foundations", pass_mark=60, questions=None, **fields):
    """A published course with two lessons and a quiz. ``questions``: [(text, [(choice, right), ...])];
    by default three questions, the second with two right choices."""
    from enablement.models import Choice, Course, Lesson, Question

    course = Course.objects.create(title=title, pass_mark=pass_mark, published=True, summary="What we sell and why.", **fields)
    Lesson.objects.create(course=course, position=1, title="The product", body_markdown="# Cloud Suite\n\nIt runs **everywhere**.")
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
