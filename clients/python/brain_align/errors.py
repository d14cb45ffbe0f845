"""Errors raised by the client: every HTTP error of the service is a ProblemError (RFC 9457 problem+json)."""


class ProblemError(Exception):
    """An HTTP error answered by the service, with the problem+json fields.

    type, title, status, detail: as the service sent them; errors: a list of {"field", "reason"} (empty when
    the problem names no field); body: the whole decoded answer (a dict, or the text when it was not JSON).
    """

    def __init__(self, status, type=None, title=None, detail=None, errors=None, body=None, method=None, url=None):
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors = list(errors or [])
        self.body = body
        self.method = method
        self.url = url
        fields = "; ".join("%s: %s" % (e.get("field"), e.get("reason")) for e in self.errors)
        text = "%s %s" % (status, title or "HTTP error")
        if detail:
            text += ": " + detail
        if fields:
            text += " [" + fields + "]"
        if method and url:
            text += " (%s %s)" % (method, url)
        super().__init__(text)

    @classmethod
    def from_answer(cls, status, reason, content_type, body, method=None, url=None):
        """A ProblemError from an error answer: problem+json fields when it has them, else the status line."""
        if isinstance(body, dict):
            return cls(
                status=body.get("status", status),
                type=body.get("type"),
                title=body.get("title") or reason,
                detail=body.get("detail"),
                errors=body.get("errors"),
                body=body,
                method=method,
                url=url,
            )
        return cls(status=status, title=reason, detail=body if isinstance(body, str) else None, body=body,
                   method=method, url=url)

    def field(self, name):
        """The reason given for field `name` (e.g. "body.name"), or None."""
        for e in self.errors:
            if e.get("field") == name:
                return e.get("reason")
        return None


class JobError(Exception):
    """A job (or study) that ended failed or cancelled; `job` is its last state as the service returned it."""

    def __init__(self, message, job):
        self.job = job
        super().__init__(message)


class WaitTimeout(TimeoutError):
    """Waiting for a job or study took longer than the timeout; `last` is its last state (it keeps running)."""

    def __init__(self, message, last):
        self.last = last
        super().__init__(message)
