"""Contact addresses as plain rules: normalisation (what makes two spellings the same address) and
masking (what staff may see). Phones become E.164; mainland numbers are accepted with or without
+86 / 0086 and with spaces or dashes.
"""

import re

SMS, WECHAT, EMAIL, INBOX = "sms", "wechat", "email", "inbox"
CHANNELS = (INBOX, SMS, WECHAT, EMAIL)  # 站内信, 短信, 微信, 电子邮件
ADDRESSED_CHANNELS = (SMS, WECHAT, EMAIL)

# The person field that carries each addressed channel's address.
FIELD_OF_CHANNEL = {SMS: "phone", WECHAT: "wechat_openid", EMAIL: "email"}
CHANNEL_OF_FIELD = {field: channel for channel, field in FIELD_OF_CHANNEL.items()}

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAINLAND_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")  # 0 + area code + subscriber number
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SEPARATORS = re.compile(r"[\s\-().]")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


class AddressError(ValueError):
    """The message says what the caller can fix."""


def normalise_phone(value):
    raw = SEPARATORS.sub("", str(value).strip())
    if raw.startswith("0086"):
        raw = "+86" + raw[4:]
    elif raw.startswith("86") and len(raw) == 13 and MAINLAND_MOBILE.match(raw[2:]):
        raw = "+" + raw
    if raw.startswith("+86"):
        national = raw[3:]
        if MAINLAND_MOBILE.match(national):
            return raw
        if MAINLAND_LANDLINE.match("0" + national):
            return raw
        raise AddressError("not a mainland China phone number")
    if raw.startswith("+"):
        if E164.match(raw):
            return raw
        raise AddressError("not an E.164 phone number")
    if MAINLAND_MOBILE.match(raw):
        return "+86" + raw
    if MAINLAND_LANDLINE.match(raw):
        return "+86" + raw[1:]
    raise AddressError("not a phone number (11-digit mainland mobile, 0-prefixed landline, or +country code)")


def normalise_email(value):
    email = str(value).strip().lower()
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise AddressError("not an email address")
    return email


def normalise_openid(value):
    openid = str(value).strip()
    if not OPENID.match(openid):
        raise AddressError("not a WeChat openid (6–64 letters, digits, '-' or '_')")
    return openid


NORMALISERS = {SMS: normalise_phone, WECHAT: normalise_openid, EMAIL: normalise_email}


def normalise(channel, value):
    return NORMALISERS[channel](value)


def mask(channel, address):
    """The form shown without ``reveal``: 138****5678, z***@example.com, oX8k****Qa."""
    if channel == SMS:
        digits = address[3:] if address.startswith("+86") else address.lstrip("+")
        if len(digits) >= 8:
            return digits[:3] + "****" + digits[-4:]
        return digits[:2] + "****"
    if channel == EMAIL:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return address[:4] + "****" + address[-2:]
