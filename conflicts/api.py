"""API of conflicts and disputes: partners open disputes and write in their cases; managers reply,
keep internal notes and resolve. Partners never see internal notes, evidence or other partners."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from deals.models import DealRegistration
from incentives.models import CommissionLine
from partners.models import Partner
from prm.api import ScopedGenericViewSet

from . import selectors, services
from .models import BODY_MAX, NOTE_MAX, SUBJECT_MAX, Case, CaseOutcome


class AttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return reverse("conflicts:attachment", args=[attachment.pk])


class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    internal = serializers.BooleanField()
    author = serializers.SerializerMethodField()
    from_staff = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentOutput(many=True)

    def get_author(self, message) -> str | None:
        return message.author.get_full_name() if message.author_id else None

    def get_from_staff(self, message) -> bool:
        return bool(message.author_id) and message.author.is_staff


class StaffMessageOutput(MessageOutput):
    partner = serializers.IntegerField(source="partner_id", allow_null=True)


class EvidenceRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    instructions = serializers.CharField()
    due_on = serializers.DateField()
    status = serializers.CharField()
    requested_at = serializers.DateTimeField()


class EvidenceAnswerOutput(serializers.Serializer):
    first_contact_on = serializers.DateField()
    activities = serializers.CharField()
    customer_contact = serializers.CharField()
    answered_at = serializers.DateTimeField()
    attachments = AttachmentOutput(many=True)


class StaffEvidenceRequestOutput(EvidenceRequestOutput):
    partner = serializers.IntegerField(source="partner_id")
    answer = serializers.SerializerMethodField()

    def get_answer(self, request) -> dict | None:
        answer = getattr(request, "answer", None) if request.status == "answered" else None
        return EvidenceAnswerOutput(answer).data if answer else None


class OutcomeOutput(serializers.Serializer):
    outcome = serializers.CharField()
    note = serializers.CharField()
    decided_at = serializers.DateTimeField()
    awarded_to_you = serializers.SerializerMethodField()

    def get_awarded_to_you(self, outcome) -> bool | None:
        if outcome.outcome != CaseOutcome.Outcome.AWARD_DEAL:
            return None
        return outcome.awarded_deal.partner_id == self.context["request"].user.partner_id


class StaffOutcomeOutput(serializers.Serializer):
    outcome = serializers.CharField()
    note = serializers.CharField()
    decided_at = serializers.DateTimeField()
    awarded_deal = serializers.IntegerField(source="awarded_deal_id", allow_null=True)
    commission_line = serializers.IntegerField(source="commission_line_id", allow_null=True)


class CaseOutput(serializers.Serializer):
    """A case as a partner user sees it: its own side only."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()
    owner = serializers.SerializerMethodField()
    opened_at = serializers.DateTimeField()
    first_response_due = serializers.DateTimeField()
    resolution_due = serializers.DateTimeField()
    first_response_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField()
    reopened_at = serializers.DateTimeField()
    deal = serializers.IntegerField(source="deal_id", allow_null=True)
    commission_line = serializers.IntegerField(source="commission_line_id", allow_null=True)
    registrations = serializers.SerializerMethodField()
    messages = MessageOutput(many=True)
    evidence_requests = EvidenceRequestOutput(many=True)
    outcome = serializers.SerializerMethodField()

    def get_owner(self, case) -> str | None:
        return case.owner.get_full_name() if case.owner_id else None

    def get_registrations(self, case) -> list[int]:
        # Prefetched through the scoped manager: a partner gets its own registrations only.
        return [link.deal_id for link in case.registrations.all()]

    def get_outcome(self, case) -> dict | None:
        latest = next(iter(case.outcomes.all()), None)
        return (
            OutcomeOutput(latest, context=self.context).data if latest and case.status == Case.Status.RESOLVED else None
        )


class StaffCaseOutput(CaseOutput):
    owner = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()
    messages = StaffMessageOutput(many=True)
    evidence_requests = StaffEvidenceRequestOutput(many=True)
    outcomes = StaffOutcomeOutput(many=True)

    def get_owner(self, case) -> str | None:
        return case.owner.email if case.owner_id else None

    def get_participants(self, case) -> list[dict]:
        return [{"id": p.partner_id, "name": p.partner.name} for p in case.participants.all()]


class CaseCreateInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[k for k in Case.DISPUTE_KINDS])
    subject = serializers.CharField(max_length=SUBJECT_MAX)
    body = serializers.CharField(max_length=BODY_MAX)
    deal = serializers.IntegerField(required=False, allow_null=True)
    commission_line = serializers.IntegerField(required=False, allow_null=True)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class MessageInput(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX)
    internal = serializers.BooleanField(required=False, default=False)
    partner = serializers.IntegerField(required=False, allow_null=True)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ResolveInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CaseOutcome.Outcome.values)
    note = serializers.CharField(max_length=NOTE_MAX)
    deal = serializers.IntegerField(required=False, allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    partner = serializers.IntegerField(required=False, allow_null=True)
    split_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    split_partner = serializers.IntegerField(required=False, allow_null=True)


def _own(model, pk, field: str, label: str):
    """One of the caller's scoped objects by id, or a 400 naming the field (never whose it is)."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError({field: [f"No {label} {pk} of your organization."]})
    return found


def _partner(pk, field: str):
    if pk is None:
        return None
    found = Partner.objects.filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError({field: [f"No partner {pk}."]})
    return found


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Cases: staff see all; partner users the cases their organization is involved in, each
    from its own side."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        return StaffCaseOutput if self.request.user.is_staff else CaseOutput

    def get_queryset(self):
        params = self.request.query_params
        return selectors.case_list(
            user=self.request.user, status=params.get("status"), kind=params.get("kind"), with_thread=True
        )

    @extend_schema(parameters=[OpenApiParameter("status", str), OpenApiParameter("kind", str)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _respond(self, case, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data, status=code)

    @extend_schema(request=CaseCreateInput, responses={201: CaseOutput})
    def create(self, request):
        if request.user.partner_id is None:
            raise PermissionDenied("Partner users open disputes; staff work them in the admin.")
        data = CaseCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = services.case_open_dispute(
            partner=request.user.partner,
            user=request.user,
            kind=values["kind"],
            subject=values["subject"],
            body=values["body"],
            attachments=values["attachments"],
            deal=_own(DealRegistration, values.get("deal"), "deal", "deal"),
            commission_line=_own(CommissionLine, values.get("commission_line"), "commission_line", "commission line"),
        )
        return self._respond(case, status.HTTP_201_CREATED)

    @extend_schema(request=MessageInput, responses={201: CaseOutput})
    @action(detail=True, methods=["post"])
    def messages(self, request, pk=None):
        case = self.get_object()
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.case_post_message(
            case=case,
            by=request.user,
            body=values["body"],
            internal=values["internal"],
            partner=_partner(values.get("partner"), "partner") if request.user.is_staff else None,
            attachments=values["attachments"],
        )
        return self._respond(case, status.HTTP_201_CREATED)

    @extend_schema(request=ResolveInput, responses={200: StaffCaseOutput})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        case = self.get_object()
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        deal_id = values.pop("deal", None)
        values["deal"] = DealRegistration.objects.filter(pk=deal_id).first() if deal_id else None
        if deal_id and values["deal"] is None:
            raise serializers.ValidationError({"deal": [f"No deal {deal_id}."]})
        values["partner"] = _partner(values.pop("partner", None), "partner")
        values["split_partner"] = _partner(values.pop("split_partner", None), "split_partner")
        services.case_resolve(case=case, by=request.user, **values)
        return self._respond(case)

    def get_object(self):
        try:
            return super().get_object()
        except Case.DoesNotExist as error:
            raise Http404 from error
