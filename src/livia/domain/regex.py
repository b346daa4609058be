"""Regular expressions as HAProxy reads them: PCRE2, not Python's ``re``.

HAProxy (Debian's 2.6 is built with USE_PCRE2_JIT) compiles an ACL's ``-m reg``
pattern with ``pcre2_compile`` (no capture groups; caseless for ``-i``) and
then ``pcre2_jit_compile``, and refuses the configuration when either fails.
Python's ``re`` disagrees with PCRE2 both ways (``(?a)x`` and ``\\N{DIGIT ONE}``
are Python only, ``\\p{L}`` is PCRE2 only), so a pattern is checked by the
same library HAProxy links, libpcre2-8, called through ctypes: no process,
no file, a few microseconds.
"""

from __future__ import annotations

import ctypes
import functools

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.domain.text import check_line

LIBRARY = "libpcre2-8.so.0"
PCRE2_CASELESS = 0x00000008
PCRE2_NO_AUTO_CAPTURE = 0x00002000
PCRE2_JIT_COMPLETE = 0x00000001
PCRE2_ERROR_JIT_BADOPTION = -45


class _Pcre2:
    def __init__(self, lib: ctypes.CDLL) -> None:
        self.compile = lib.pcre2_compile_8
        self.compile.restype = ctypes.c_void_p
        self.compile.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32,
                                 ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_size_t),
                                 ctypes.c_void_p]
        self.jit = lib.pcre2_jit_compile_8
        self.jit.restype = ctypes.c_int
        self.jit.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        self.free = lib.pcre2_code_free_8
        self.free.restype = None
        self.free.argtypes = [ctypes.c_void_p]
        self.message = lib.pcre2_get_error_message_8
        self.message.restype = ctypes.c_int
        self.message.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]

    def error(self, code: int) -> str:
        buffer = ctypes.create_string_buffer(256)
        self.message(code, buffer, len(buffer))
        return buffer.value.decode("utf-8", "replace")


@functools.cache
def _library() -> _Pcre2 | None:
    try:
        return _Pcre2(ctypes.CDLL(LIBRARY))
    except OSError:
        return None


def pcre2_fault(pattern: str, *, caseless: bool = False) -> str | None:
    """Why HAProxy would refuse the pattern (None if it takes it)."""
    pcre2 = _library()
    if pcre2 is None:
        return f"regexes cannot be checked here: {LIBRARY} (HAProxy's PCRE2) is missing"
    data = pattern.encode("utf-8")
    flags = PCRE2_NO_AUTO_CAPTURE | (PCRE2_CASELESS if caseless else 0)
    code, offset = ctypes.c_int(), ctypes.c_size_t()
    compiled = pcre2.compile(data, len(data), flags, ctypes.byref(code), ctypes.byref(offset),
                             None)
    if not compiled:
        return f"{pcre2.error(code.value)} at offset {offset.value}"
    try:
        jit = pcre2.jit(compiled, PCRE2_JIT_COMPLETE)
        if jit < 0 and jit != PCRE2_ERROR_JIT_BADOPTION:
            return f"JIT compilation failed: {pcre2.error(jit)}"
    finally:
        pcre2.free(compiled)
    return None


def check_haproxy_regex(pattern: str, what: str, *, caseless: bool = False) -> str:
    """Return pattern unchanged, or raise if HAProxy would refuse it."""
    check_line(pattern, what)
    reason = pcre2_fault(pattern, caseless=caseless)
    if reason is not None:
        raise InvalidInput(f"Invalid input for field/attribute {what}. Value: "
                           f"'{quote(pattern)}'. Not a regex HAProxy (PCRE2) accepts: "
                           f"{reason}.")
    return pattern
