#!/usr/bin/python3
"""Reference answers for keel/base/time_test.cc from datetime + zoneinfo.

Usage: time_reference.py INPUT OUTPUT

INPUT has one tab-separated case a line; OUTPUT gets one answer a line:
  P zone year month day hour minute second fraction offset
      A local time (fold=0) in `zone`, or at `offset` when that is not empty;
      `fraction` is the digits after '.', possibly empty. Answer: microseconds
      since the Unix epoch.
  C zone micros
      An instant. Answer: "year month day hour minute second microsecond
      weekday yearday offset_seconds rfc3339" with weekday 0 = Monday and
      rfc3339 as keel::FormatRfc3339(t, zone) promises to print it.
A zone is "UTC", a fixed offset such as "+05:30", or an IANA name.
"""

import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_offset(text):
    if text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4] or "0")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def load_zone(name):
    if name == "UTC":
        return timezone.utc
    if name[0] in "+-":
        return parse_offset(name)
    return ZoneInfo(name)


def to_micros(delta):
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def format_offset(seconds):
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    if seconds % 60:
        text += f":{seconds % 60:02d}"
    return text


def parse_case(fields):
    zone, y, mo, d, h, mi, s, fraction, offset = fields
    tz = parse_offset(offset) if offset else load_zone(zone)
    micros = int((fraction + "000000")[:6]) if fraction else 0
    local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micros, tzinfo=tz)
    return str(to_micros(local - EPOCH))


def civil_case(fields):
    zone, micros = fields
    local = (EPOCH + timedelta(microseconds=int(micros))).astimezone(load_zone(zone))
    offset = to_micros(local.utcoffset()) // 1_000_000
    text = (f"{local.year:04d}-{local.month:02d}-{local.day:02d}T"
            f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}")
    if local.microsecond % 1000 == 0 and local.microsecond:
        text += f".{local.microsecond // 1000:03d}"
    elif local.microsecond:
        text += f".{local.microsecond:06d}"
    text += "Z" if zone == "UTC" else format_offset(offset)
    yearday = local.timetuple().tm_yday
    return " ".join(str(v) for v in (local.year, local.month, local.day, local.hour,
                                     local.minute, local.second, local.microsecond,
                                     local.weekday(), yearday, offset, text))


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: time_reference.py INPUT OUTPUT")
    with open(argv[1], encoding="utf-8") as src, open(argv[2], "w", encoding="utf-8") as dst:
        for line in src:
            kind, *fields = line.rstrip("\n").split("\t")
            answer = parse_case(fields) if kind == "P" else civil_case(fields)
            dst.write(answer + "\n")


if __name__ == "__main__":
    main(sys.argv)
