"""HPACK decoding for the raw HTTP/2 test clients, through libnghttp2's own inflater
(ctypes): a server's header blocks use Huffman coding and the dynamic table, which the
literal-only encoder in h2_frames.py never needs to produce."""
import ctypes
import ctypes.util

_lib = ctypes.CDLL(ctypes.util.find_library("nghttp2") or "libnghttp2.so.14")
_INFLATE_FINAL, _INFLATE_EMIT = 0x01, 0x02


class _Nv(ctypes.Structure):
    _fields_ = [("name", ctypes.POINTER(ctypes.c_uint8)), ("value", ctypes.POINTER(ctypes.c_uint8)),
                ("namelen", ctypes.c_size_t), ("valuelen", ctypes.c_size_t), ("flags", ctypes.c_uint8)]


_lib.nghttp2_hd_inflate_new.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
_lib.nghttp2_hd_inflate_del.argtypes = [ctypes.c_void_p]
_lib.nghttp2_hd_inflate_hd2.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Nv), ctypes.POINTER(ctypes.c_int),
                                        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
_lib.nghttp2_hd_inflate_hd2.restype = ctypes.c_ssize_t
_lib.nghttp2_hd_inflate_end_headers.argtypes = [ctypes.c_void_p]


class Inflater:
    """One per connection (the dynamic table spans the connection's header blocks)."""

    def __init__(self):
        self._p = ctypes.c_void_p()
        if _lib.nghttp2_hd_inflate_new(ctypes.byref(self._p)) != 0:
            raise MemoryError("nghttp2_hd_inflate_new")

    def __del__(self):
        if self._p:
            _lib.nghttp2_hd_inflate_del(self._p)

    def decode(self, block):
        """[(name, value)] as str, in order; raises ValueError on a broken block."""
        fields = []
        nv, flags = _Nv(), ctypes.c_int(0)
        off = 0
        for _ in range(10000):  # bounded: a block never holds this many fields here
            rv = _lib.nghttp2_hd_inflate_hd2(self._p, ctypes.byref(nv), ctypes.byref(flags), block[off:],
                                             len(block) - off, 1)
            if rv < 0:
                raise ValueError("HPACK error %d" % rv)
            off += rv
            if flags.value & _INFLATE_EMIT:
                fields.append((ctypes.string_at(nv.name, nv.namelen).decode("latin-1"),
                               ctypes.string_at(nv.value, nv.valuelen).decode("latin-1")))
            if flags.value & _INFLATE_FINAL:
                _lib.nghttp2_hd_inflate_end_headers(self._p)
                return fields
            if rv == 0 and not flags.value & _INFLATE_EMIT:
                break
        raise ValueError("HPACK block did not end")
