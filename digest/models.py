"""The record of every weekly digest sent, so a week's digest reaches each user once."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DigestSent(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="Monday of the week the digest is for.")
    scope = models.CharField(max_length=20, help_text="team or organisation")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-week", "user"]
        verbose_name = "weekly digest sent"
        verbose_name_plural = "weekly digests sent"
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="digestsent_one_per_week")]

    def __str__(self) -> str:
        return f"Digest for {self.user} for the week of {self.week:%Y-%m-%d}"
