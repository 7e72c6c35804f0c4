"""Keep secrets out of log rows and error messages."""
import re

API_KEY_PATTERN = re.compile(r"[0-9a-f]{32}-[a-z]+[0-9]+")


def redact(text, secrets=()):
    """Replace every API key shaped string and every given secret with ``***``."""
    if not text:
        return text
    text = str(text)
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "***")
    return API_KEY_PATTERN.sub(lambda m: "***-" + m.group(0).rsplit("-", 1)[-1], text)
