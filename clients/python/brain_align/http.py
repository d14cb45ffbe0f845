"""The transport: JSON requests and streamed multipart uploads over urllib, errors as ProblemError."""
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid

from .errors import ProblemError

CHUNK = 1 << 20


def _decode(content_type, raw):
    if not raw:
        return None
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct == "application/json" or ct.endswith("+json"):
        return json.loads(raw.decode("utf-8"))
    if ct.startswith("text/"):
        return raw.decode("utf-8")
    return raw


class Transport:
    def __init__(self, url, key=None, timeout=60.0, user_agent="brain-align-python"):
        self.url = url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.user_agent = user_agent

    def _headers(self, extra=None):
        headers = {"User-Agent": self.user_agent}
        if self.key:
            headers["Authorization"] = "Bearer " + self.key
        headers.update(extra or {})
        return headers

    def full_url(self, path, query=None):
        url = self.url + path
        if query:
            pairs = [(k, v) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs, doseq=True)
        return url

    def send(self, method, path, query=None, json_body=None, data=None, headers=None, accept="application/json"):
        """One request; returns (status, headers, decoded body). Errors (>= 400) raise ProblemError."""
        extra = dict(headers or {})
        extra.setdefault("Accept", accept)
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            extra["Content-Type"] = "application/json"
        url = self.full_url(path, query)
        req = urllib.request.Request(url, data=data, method=method, headers=self._headers(extra))
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                return res.status, res.headers, _decode(res.headers.get("Content-Type"), res.read())
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                body = _decode(err.headers.get("Content-Type"), raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            raise ProblemError.from_answer(err.code, err.reason, err.headers.get("Content-Type"), body, method, url)
        except urllib.error.URLError as err:
            raise ConnectionError("cannot reach the service at %s (ALIGN_URL): %s" % (self.url, err.reason)) from err

    def multipart(self, path, fields, files, progress=None, method="POST"):
        """POST multipart/form-data, streaming each file from disk.

        fields: {name: text}; files: {name: (file path, filename)}; progress(sent_bytes, total_bytes) after each chunk.
        """
        boundary = "----brain-align-" + uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            head = '--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % (boundary, name)
            parts.append((head.encode("utf-8") + str(value).encode("utf-8") + b"\r\n", None))
        for name, (file_path, filename) in files.items():
            head = ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n") % (boundary, name, filename)
            parts.append((head.encode("utf-8"), file_path))
        tail = ("--%s--\r\n" % boundary).encode("utf-8")
        total = len(tail) + sum(len(h) + (os.path.getsize(p) + 2 if p else 0) for h, p in parts)

        def body():
            sent = 0
            for head, file_path in parts:
                yield head
                sent += len(head)
                if file_path:
                    with open(file_path, "rb") as f:
                        while True:
                            chunk = f.read(CHUNK)
                            if not chunk:
                                break
                            sent += len(chunk)
                            if progress:
                                progress(sent, total)
                            yield chunk
                    yield b"\r\n"
                    sent += 2
            yield tail
            if progress:
                progress(total, total)

        headers = {"Content-Type": "multipart/form-data; boundary=" + boundary, "Content-Length": str(total)}
        return self.send(method, path, data=body(), headers=headers)
