import factory
from factory.django import DjangoModelFactory

from partners.models import Partner, PartnerType, Tier, User
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
    website = factory.LazyAttribute(lambda o: f"https://{o.name.split()[1]}.example.com")
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
