"""API of enablement: the content library, courses with their quiz (never the right answers),
quiz attempts scored on the server, certifications and their certificate PDFs."""

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from prm.api import FileNegotiation, PreparingSerializer, ScopedGenericViewSet
from prm.markup import markdown_to_html
from prm.roles import MANAGER_ROLES

from . import selectors, services
from .models import Certification, ContentAsset, Course, Newsletter, Recipients, comma_list
from .responses import asset_download


class ContentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    min_tier = serializers.CharField(source="min_tier.name", default=None)
    is_new = serializers.BooleanField()

    class Meta:
        model = ContentAsset
        fields = [
            "id",
            "title",
            "kind",
            "category",
            "tags",
            "download_url",
            "description",
            "language",
            "version",
            "min_tier",
            "featured",
            "is_new",
            "updated_at",
        ]

    def get_download_url(self, asset) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:content-download", args=[asset.pk]))


class ContentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Content assets: staff see all, partner users what their tier and partner type may see."""

    serializer_class = ContentSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.content_list(
            user=self.request.user,
            search=params.get("search", "")[:100],
            category=params.get("category", ""),
            kind=params.get("kind", ""),
            language=params.get("language", ""),
        )

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def download(self, request, pk=None):
        return asset_download(request, self.get_object())


class ChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    multiple = serializers.SerializerMethodField(help_text="Pick every right choice (more than one is right).")
    choices = ChoiceSerializer(many=True, source="choices.all")

    def get_multiple(self, question) -> bool:
        return question.right_count > 1


class LessonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body_html = serializers.SerializerMethodField()

    def get_body_html(self, lesson) -> str:
        return markdown_to_html(lesson.body_markdown, top_heading=4)


class CourseListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "title", "summary", "pass_mark", "validity_months"]


class CourseSerializer(serializers.ModelSerializer):
    lessons = LessonSerializer(many=True, source="lessons.all")
    quiz = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = ["id", "title", "summary", "validity_months", "lessons", "quiz"]

    @extend_schema_field(
        inline_serializer("Quiz", {"pass_mark": serializers.IntegerField(), "questions": QuestionSerializer(many=True)})
    )
    def get_quiz(self, course) -> dict:
        return {"pass_mark": course.pass_mark, "questions": QuestionSerializer(course.questions.all(), many=True).data}


class AttemptInputSerializer(serializers.Serializer):
    # Its shape is checked by the service, which names every problem in words.
    answers = serializers.JSONField(
        help_text='{"<question id>": <choice id>} or a list of choice ids for a question with several right choices.'
    )


class AttemptOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField()
    passed = serializers.BooleanField()
    certification = serializers.SerializerMethodField()
    wrong_questions = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the questions answered wrong."
    )

    def get_certification(self, attempt) -> int | None:
        return self.context.get("certification")


class CourseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Courses with lessons and quiz questions; partner users post quiz attempts."""

    def get_serializer_class(self):
        return CourseListSerializer if self.action == "list" else CourseSerializer

    def get_queryset(self):
        if self.action == "list":
            return selectors.course_list(user=self.request.user)
        return selectors.course_detail(user=self.request.user)

    @extend_schema(request=AttemptInputSerializer, responses={201: AttemptOutputSerializer})
    @action(detail=True, methods=["post"])
    def attempts(self, request, pk=None):
        course = self.get_object()
        data = AttemptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.quiz_attempt_submit(course=course, user=request.user, answers=data.validated_data["answers"])
        certification = attempt.granted_certification
        context = {"certification": certification.pk if certification else None}
        return Response(AttemptOutputSerializer(attempt, context=context).data, status=status.HTTP_201_CREATED)


class CertificationSerializer(serializers.ModelSerializer):
    user = serializers.EmailField(source="user.email")
    status = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = [
            "id",
            "user",
            "holder_name",
            "course",
            "course_title",
            "issued_on",
            "expires_on",
            "status",
            "verification_code",
        ]

    def get_status(self, certification) -> str:
        return Certification.Status.CURRENT if certification.is_current else Certification.Status.EXPIRED


class CertificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Certifications: staff see all, partner users their organization's."""

    serializer_class = CertificationSerializer

    def get_queryset(self):
        return selectors.certification_list(user=self.request.user)

    @extend_schema(responses={(200, "application/pdf"): bytes, 202: PreparingSerializer})
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def pdf(self, request, pk=None):
        certification = self.get_object()
        if not services.certificate_pdf_request(certification=certification):
            response = Response(
                {"detail": "The certificate is being prepared. Try again in a moment.", "status": "preparing"},
                status=status.HTTP_202_ACCEPTED,
            )
            response["Retry-After"] = "5"
            return response
        return FileResponse(
            certification.pdf.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"certificate-{certification.verification_code}.pdf",
        )


# --- Communication: newsletters (manager only) ---------------------------------------------------


class IsManager(BasePermission):
    """Lists and new newsletters are for managers (403 otherwise); a single newsletter is simply
    not found (404) for anyone else, as every object outside the caller's scope."""

    message = "Only partner managers and admins work with newsletters."

    def has_permission(self, request, view):
        if view.detail:
            return request.user.is_authenticated
        return request.user.is_authenticated and request.user.role in MANAGER_ROLES


class AudienceSerializer(serializers.Serializer):
    tiers = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="Tier names (case-insensitive) or tier ids; empty: every tier.",
    )
    partner_types = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, help_text="Empty: every partner type."
    )
    countries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, help_text="ISO 3166-1 alpha-2; empty: every country."
    )
    partner_statuses = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text="Partner statuses; default active only; empty: every status.",
    )
    recipients = serializers.ChoiceField(
        choices=Recipients.choices, required=False, help_text="all partner users, or partner admins only."
    )


class NewsletterInputSerializer(serializers.Serializer):
    # Lengths and content are checked by the service, which names every problem in words.
    subject = serializers.CharField(allow_blank=True, max_length=10_000, trim_whitespace=False)
    body_markdown = serializers.CharField(allow_blank=True, max_length=100_000, trim_whitespace=False)
    audience = AudienceSerializer(required=False)


class NewsletterSerializer(serializers.ModelSerializer):
    audience = serializers.SerializerMethodField()

    class Meta:
        model = Newsletter
        fields = [
            "id",
            "subject",
            "body_markdown",
            "status",
            "scheduled_for",
            "audience",
            "recipient_count",
            "sent_count",
            "skipped_count",
            "failed_count",
            "created_at",
            "started_at",
            "finished_at",
        ]

    @extend_schema_field(AudienceSerializer)
    def get_audience(self, newsletter) -> dict:
        return {
            "tiers": [tier.name for tier in newsletter.tiers.all()],
            "partner_types": comma_list(newsletter.partner_types),
            "countries": comma_list(newsletter.countries),
            "partner_statuses": comma_list(newsletter.partner_statuses),
            "recipients": newsletter.recipients,
        }


class SendSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True, help_text="Schedule for this time; empty: now.")


class NewsletterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Newsletters for managers: write one with its audience, send it now or schedule it (202: a
    worker sends it), follow its status and counts."""

    serializer_class = NewsletterSerializer
    permission_classes = [IsManager]

    def get_queryset(self):
        if self.request.user.role not in MANAGER_ROLES:
            return Newsletter.objects.none()
        return Newsletter.objects.prefetch_related("tiers").order_by("-created_at", "-id")

    @extend_schema(request=NewsletterInputSerializer, responses={201: NewsletterSerializer})
    def create(self, request):
        data = NewsletterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {**data.validated_data.get("audience", {})}
        fields.update(subject=data.validated_data["subject"], body_markdown=data.validated_data["body_markdown"])
        newsletter = services.newsletter_save(by=request.user, data=fields)
        return Response(self.get_serializer(self.get_queryset().get(pk=newsletter.pk)).data, status=201)

    @extend_schema(request=SendSerializer, responses={202: NewsletterSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Send now, or at ``at``: 202 (a worker sends it); 409 when it is being sent or was sent."""
        newsletter = self.get_object()
        data = SendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        newsletter = services.newsletter_send(newsletter=newsletter, by=request.user, at=data.validated_data.get("at"))
        return Response(
            self.get_serializer(self.get_queryset().get(pk=newsletter.pk)).data, status=status.HTTP_202_ACCEPTED
        )
