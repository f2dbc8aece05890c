"""The core of Legami: who people are (User) and where the network works (territory)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class LegamiUserManager(UserManager["User"]):
    """Users are identified by their e-mail address; there is no username."""

    use_in_migrations = True

    def _create_user_by_email(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user_by_email(email, password, **extra)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not extra["is_staff"] or not extra["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user_by_email(email, password, **extra)


class User(AbstractUser):
    """A person who logs in to Legami, identified by e-mail."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("it", _("Italian")), ("en", _("English"))],
        default="it",
        help_text=_("Language of the interface and of the messages Legami sends."),
    )

    objects: ClassVar[LegamiUserManager] = LegamiUserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("email"), name="legami_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} <{self.email}>" if full else self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class Ambito(models.Model):
    """A social-service district (ambito territoriale) with the body that manages its plan."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120, unique=True)
    managing_body = models.CharField(
        _("managing body"),
        max_length=200,
        help_text=_("The body that manages the piano di zona (ufficio di piano)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ambito")
        verbose_name_plural = _("ambiti")
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class Comune(models.Model):
    """A municipality, identified by its Belfiore (cadastral) code and ISTAT code."""

    istat_code = models.CharField(
        _("ISTAT code"),
        max_length=6,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", _("An ISTAT code has six digits."))],
    )
    belfiore_code = models.CharField(
        _("Belfiore code"),
        max_length=4,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z]\d{3}$", _("A Belfiore code is a letter and three digits."))
        ],
    )
    name = models.CharField(_("name"), max_length=120)
    province = models.CharField(
        _("province"),
        max_length=2,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("A province is two capital letters."))],
    )
    ambito = models.ForeignKey(
        Ambito,
        verbose_name=_("ambito"),
        related_name="comuni",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("comune")
        verbose_name_plural = _("comuni")
        ordering: ClassVar = ["name"]
        indexes: ClassVar = [models.Index(fields=["province", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.province})"
