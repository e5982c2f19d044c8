"""Indic-script and Urdu national language tables of 3GPP TS 23.038 annex A.

NLI 4..13: Bengali, Gujarati, Hindi, Kannada, Malayalam, Oriya, Punjabi,
Tamil, Telugu, Urdu.  Locking shift tables keep the digits, basic
punctuation and lower-case Latin letters; upper-case Latin letters and most
symbols are in the matching single shift table.  U+FFFD (``UNDEFINED``) marks septets
the standard leaves empty: they are never produced, and decode as U+FFFD.

Two corrections to the published tables, as deployed handsets read them:
0x2C is COMMA in every locking table here, and 0x24 of the Kannada locking
table is U+0CA1 KANNADA LETTER DDA.
"""
from __future__ import annotations

from segmentation.national_model import NationalLanguage


# A.3.4 Bengali locking shift table.
BENGALI_LOCKING = (
    "\u0981\u0982\u0983\u0985\u0986\u0987\u0988\u0989\u098a\u098b\n\u098c\ufffd\r\ufffd\u098f"  # 0x00
    "\u0990\ufffd\ufffd\u0993\u0994\u0995\u0996\u0997\u0998\u0999\u099a\x1b\u099b\u099c\u099d\u099e"  # 0x10
    " !\u099f\u09a0\u09a1\u09a2\u09a3\u09a4)(\u09a5\u09a6,\u09a7.\u09a8"  # 0x20
    "0123456789:;\ufffd\u09aa\u09ab?"  # 0x30
    "\u09ac\u09ad\u09ae\u09af\u09b0\ufffd\u09b2\ufffd\ufffd\ufffd\u09b6\u09b7\u09b8\u09b9\u09bc\u09bd"  # 0x40
    "\u09be\u09bf\u09c0\u09c1\u09c2\u09c3\u09c4\ufffd\ufffd\u09c7\u09c8\ufffd\ufffd\u09cb\u09cc\u09cd"  # 0x50
    "\u09ceabcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u09d7\u09dc\u09dd\u09f0\u09f1"  # 0x70
)
# A.2.4 Bengali single shift table.
BENGALI_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x19: "\u09e6", 0x1A: "\u09e7",
    0x1C: "\u09e8", 0x1D: "\u09e9", 0x1E: "\u09ea", 0x1F: "\u09eb", 0x20: "\u09ec",
    0x21: "\u09ed", 0x22: "\u09ee", 0x23: "\u09ef", 0x24: "\u09df", 0x25: "\u09e0",
    0x26: "\u09e1", 0x27: "\u09e2", 0x28: "{", 0x29: "}", 0x2A: "\u09e3", 0x2B: "\u09f2",
    0x2C: "\u09f3", 0x2D: "\u09f4", 0x2E: "\u09f5", 0x2F: "\\", 0x30: "\u09f6",
    0x31: "\u09f7", 0x32: "\u09f8", 0x33: "\u09f9", 0x34: "\u09fa", 0x3C: "[", 0x3D: "~",
    0x3E: "]", 0x40: "|", 0x41: "A", 0x42: "B", 0x43: "C", 0x44: "D", 0x45: "E", 0x46: "F",
    0x47: "G", 0x48: "H", 0x49: "I", 0x4A: "J", 0x4B: "K", 0x4C: "L", 0x4D: "M", 0x4E: "N",
    0x4F: "O", 0x50: "P", 0x51: "Q", 0x52: "R", 0x53: "S", 0x54: "T", 0x55: "U", 0x56: "V",
    0x57: "W", 0x58: "X", 0x59: "Y", 0x5A: "Z", 0x65: "\u20ac",
}

# A.3.5 Gujarati locking shift table.
GUJARATI_LOCKING = (
    "\u0a81\u0a82\u0a83\u0a85\u0a86\u0a87\u0a88\u0a89\u0a8a\u0a8b\n\u0a8c\u0a8d\r\ufffd\u0a8f"  # 0x00
    "\u0a90\u0a91\ufffd\u0a93\u0a94\u0a95\u0a96\u0a97\u0a98\u0a99\u0a9a\x1b\u0a9b\u0a9c\u0a9d\u0a9e"  # 0x10
    " !\u0a9f\u0aa0\u0aa1\u0aa2\u0aa3\u0aa4)(\u0aa5\u0aa6,\u0aa7.\u0aa8"  # 0x20
    "0123456789:;\ufffd\u0aaa\u0aab?"  # 0x30
    "\u0aac\u0aad\u0aae\u0aaf\u0ab0\ufffd\u0ab2\u0ab3\ufffd\u0ab5\u0ab6\u0ab7\u0ab8\u0ab9\u0abc\u0abd"  # 0x40
    "\u0abe\u0abf\u0ac0\u0ac1\u0ac2\u0ac3\u0ac4\u0ac5\ufffd\u0ac7\u0ac8\u0ac9\ufffd\u0acb\u0acc\u0acd"  # 0x50
    "\u0ad0abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u0ae0\u0ae1\u0ae2\u0ae3\u0af1"  # 0x70
)
# A.2.5 Gujarati single shift table.
GUJARATI_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x19: "\u0964", 0x1A: "\u0965",
    0x1C: "\u0ae6", 0x1D: "\u0ae7", 0x1E: "\u0ae8", 0x1F: "\u0ae9", 0x20: "\u0aea",
    0x21: "\u0aeb", 0x22: "\u0aec", 0x23: "\u0aed", 0x24: "\u0aee", 0x25: "\u0aef",
    0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x41: "A",
    0x42: "B", 0x43: "C", 0x44: "D", 0x45: "E", 0x46: "F", 0x47: "G", 0x48: "H", 0x49: "I",
    0x4A: "J", 0x4B: "K", 0x4C: "L", 0x4D: "M", 0x4E: "N", 0x4F: "O", 0x50: "P", 0x51: "Q",
    0x52: "R", 0x53: "S", 0x54: "T", 0x55: "U", 0x56: "V", 0x57: "W", 0x58: "X", 0x59: "Y",
    0x5A: "Z", 0x65: "\u20ac",
}

# A.3.6 Hindi locking shift table.
HINDI_LOCKING = (
    "\u0901\u0902\u0903\u0905\u0906\u0907\u0908\u0909\u090a\u090b\n\u090c\u090d\r\u090e\u090f"  # 0x00
    "\u0910\u0911\u0912\u0913\u0914\u0915\u0916\u0917\u0918\u0919\u091a\x1b\u091b\u091c\u091d\u091e"  # 0x10
    " !\u091f\u0920\u0921\u0922\u0923\u0924)(\u0925\u0926,\u0927.\u0928"  # 0x20
    "0123456789:;\u0929\u092a\u092b?"  # 0x30
    "\u092c\u092d\u092e\u092f\u0930\u0931\u0932\u0933\u0934\u0935\u0936\u0937\u0938\u0939\u093c\u093d"  # 0x40
    "\u093e\u093f\u0940\u0941\u0942\u0943\u0944\u0945\u0946\u0947\u0948\u0949\u094a\u094b\u094c\u094d"  # 0x50
    "\u0950abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u0972\u097b\u097c\u097e\u097f"  # 0x70
)
# A.2.6 Hindi single shift table.
HINDI_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x19: "\u0964", 0x1A: "\u0965",
    0x1C: "\u0966", 0x1D: "\u0967", 0x1E: "\u0968", 0x1F: "\u0969", 0x20: "\u096a",
    0x21: "\u096b", 0x22: "\u096c", 0x23: "\u096d", 0x24: "\u096e", 0x25: "\u096f",
    0x26: "\u0951", 0x27: "\u0952", 0x28: "{", 0x29: "}", 0x2A: "\u0953", 0x2B: "\u0954",
    0x2C: "\u0958", 0x2D: "\u0959", 0x2E: "\u095a", 0x2F: "\\", 0x30: "\u095b",
    0x31: "\u095c", 0x32: "\u095d", 0x33: "\u095e", 0x34: "\u095f", 0x35: "\u0960",
    0x36: "\u0961", 0x37: "\u0962", 0x38: "\u0963", 0x39: "\u0970", 0x3A: "\u0971",
    0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x41: "A", 0x42: "B", 0x43: "C", 0x44: "D",
    0x45: "E", 0x46: "F", 0x47: "G", 0x48: "H", 0x49: "I", 0x4A: "J", 0x4B: "K", 0x4C: "L",
    0x4D: "M", 0x4E: "N", 0x4F: "O", 0x50: "P", 0x51: "Q", 0x52: "R", 0x53: "S", 0x54: "T",
    0x55: "U", 0x56: "V", 0x57: "W", 0x58: "X", 0x59: "Y", 0x5A: "Z", 0x65: "\u20ac",
}

# A.3.7 Kannada locking shift table.
KANNADA_LOCKING = (
    "\ufffd\u0c82\u0c83\u0c85\u0c86\u0c87\u0c88\u0c89\u0c8a\u0c8b\n\u0c8c\ufffd\r\u0c8e\u0c8f"  # 0x00
    "\u0c90\ufffd\u0c92\u0c93\u0c94\u0c95\u0c96\u0c97\u0c98\u0c99\u0c9a\x1b\u0c9b\u0c9c\u0c9d\u0c9e"  # 0x10
    " !\u0c9f\u0ca0\u0ca1\u0ca2\u0ca3\u0ca4)(\u0ca5\u0ca6,\u0ca7.\u0ca8"  # 0x20
    "0123456789:;\ufffd\u0caa\u0cab?"  # 0x30
    "\u0cac\u0cad\u0cae\u0caf\u0cb0\u0cb1\u0cb2\u0cb3\ufffd\u0cb5\u0cb6\u0cb7\u0cb8\u0cb9\u0cbc\u0cbd"  # 0x40
    "\u0cbe\u0cbf\u0cc0\u0cc1\u0cc2\u0cc3\u0cc4\ufffd\u0cc6\u0cc7\u0cc8\ufffd\u0cca\u0ccb\u0ccc\u0ccd"  # 0x50
    "\u0cd5abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u0cd6\u0ce0\u0ce1\u0ce2\u0ce3"  # 0x70
)
# A.2.7 Kannada single shift table.
KANNADA_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x19: "\u0964", 0x1A: "\u0965",
    0x1C: "\u0ce6", 0x1D: "\u0ce7", 0x1E: "\u0ce8", 0x1F: "\u0ce9", 0x20: "\u0cea",
    0x21: "\u0ceb", 0x22: "\u0cec", 0x23: "\u0ced", 0x24: "\u0cee", 0x25: "\u0cef",
    0x26: "\u0cde", 0x27: "\u0cf1", 0x28: "{", 0x29: "}", 0x2A: "\u0cf2", 0x2F: "\\",
    0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x41: "A", 0x42: "B", 0x43: "C", 0x44: "D",
    0x45: "E", 0x46: "F", 0x47: "G", 0x48: "H", 0x49: "I", 0x4A: "J", 0x4B: "K", 0x4C: "L",
    0x4D: "M", 0x4E: "N", 0x4F: "O", 0x50: "P", 0x51: "Q", 0x52: "R", 0x53: "S", 0x54: "T",
    0x55: "U", 0x56: "V", 0x57: "W", 0x58: "X", 0x59: "Y", 0x5A: "Z", 0x65: "\u20ac",
}

# A.3.8 Malayalam locking shift table.
MALAYALAM_LOCKING = (
    "\ufffd\u0d02\u0d03\u0d05\u0d06\u0d07\u0d08\u0d09\u0d0a\u0d0b\n\u0d0c\ufffd\r\u0d0e\u0d0f"  # 0x00
    "\u0d10\ufffd\u0d12\u0d13\u0d14\u0d15\u0d16\u0d17\u0d18\u0d19\u0d1a\x1b\u0d1b\u0d1c\u0d1d\u0d1e"  # 0x10
    " !\u0d1f\u0d20\u0d21\u0d22\u0d23\u0d24)(\u0d25\u0d26,\u0d27.\u0d28"  # 0x20
    "0123456789:;\ufffd\u0d2a\u0d2b?"  # 0x30
    "\u0d2c\u0d2d\u0d2e\u0d2f\u0d30\u0d31\u0d32\u0d33\u0d34\u0d35\u0d36\u0d37\u0d38\u0d39\ufffd\u0d3d"  # 0x40
    "\u0d3e\u0d3f\u0d40\u0d41\u0d42\u0d43\u0d44\ufffd\u0d46\u0d47\u0d48\ufffd\u0d4a\u0d4b\u0d4c\u0d4d"  # 0x50
    "\u0d57abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u0d60\u0d61\u0d62\u0d63\u0d79"  # 0x70
)
# A.2.8 Malayalam single shift table.
MALAYALAM_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x19: "\u0964", 0x1A: "\u0965",
    0x1C: "\u0d66", 0x1D: "\u0d67", 0x1E: "\u0d68", 0x1F: "\u0d69", 0x20: "\u0d6a",
    0x21: "\u0d6b", 0x22: "\u0d6c", 0x23: "\u0d6d", 0x24: "\u0d6e", 0x25: "\u0d6f",
    0x26: "\u0d70", 0x27: "\u0d71", 0x28: "{", 0x29: "}", 0x2A: "\u0d72", 0x2B: "\u0d73",
    0x2C: "\u0d74", 0x2D: "\u0d75", 0x2E: "\u0d7a", 0x2F: "\\", 0x30: "\u0d7b",
    0x31: "\u0d7c", 0x32: "\u0d7d", 0x33: "\u0d7e", 0x34: "\u0d7f", 0x3C: "[", 0x3D: "~",
    0x3E: "]", 0x40: "|", 0x41: "A", 0x42: "B", 0x43: "C", 0x44: "D", 0x45: "E", 0x46: "F",
    0x47: "G", 0x48: "H", 0x49: "I", 0x4A: "J", 0x4B: "K", 0x4C: "L", 0x4D: "M", 0x4E: "N",
    0x4F: "O", 0x50: "P", 0x51: "Q", 0x52: "R", 0x53: "S", 0x54: "T", 0x55: "U", 0x56: "V",
    0x57: "W", 0x58: "X", 0x59: "Y", 0x5A: "Z", 0x65: "\u20ac",
}

# A.3.9 Oriya locking shift table.
ORIYA_LOCKING = (
    "\u0b01\u0b02\u0b03\u0b05\u0b06\u0b07\u0b08\u0b09\u0b0a\u0b0b\n\u0b0c\ufffd\r\ufffd\u0b0f"  # 0x00
    "\u0b10\ufffd\ufffd\u0b13\u0b14\u0b15\u0b16\u0b17\u0b18\u0b19\u0b1a\x1b\u0b1b\u0b1c\u0b1d\u0b1e"  # 0x10
    " !\u0b1f\u0b20\u0b21\u0b22\u0b23\u0b24)(\u0b25\u0b26,\u0b27.\u0b28"  # 0x20
    "0123456789:;\ufffd\u0b2a\u0b2b?"  # 0x30
    "\u0b2c\u0b2d\u0b2e\u0b2f\u0b30\ufffd\u0b32\u0b33\ufffd\u0b35\u0b36\u0b37\u0b38\u0b39\u0b3c\u0b3d"  # 0x40
    "\u0b3e\u0b3f\u0b40\u0b41\u0b42\u0b43\u0b44\ufffd\ufffd\u0b47\u0b48\ufffd\ufffd\u0b4b\u0b4c\u0b4d"  # 0x50
    "\u0b56abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u0b57\u0b60\u0b61\u0b62\u0b63"  # 0x70
)
# A.2.9 Oriya single shift table.
ORIYA_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x19: "\u0964", 0x1A: "\u0965",
    0x1C: "\u0b66", 0x1D: "\u0b67", 0x1E: "\u0b68", 0x1F: "\u0b69", 0x20: "\u0b6a",
    0x21: "\u0b6b", 0x22: "\u0b6c", 0x23: "\u0b6d", 0x24: "\u0b6e", 0x25: "\u0b6f",
    0x26: "\u0b5c", 0x27: "\u0b5d", 0x28: "{", 0x29: "}", 0x2A: "\u0b5f", 0x2B: "\u0b70",
    0x2C: "\u0b71", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x41: "A",
    0x42: "B", 0x43: "C", 0x44: "D", 0x45: "E", 0x46: "F", 0x47: "G", 0x48: "H", 0x49: "I",
    0x4A: "J", 0x4B: "K", 0x4C: "L", 0x4D: "M", 0x4E: "N", 0x4F: "O", 0x50: "P", 0x51: "Q",
    0x52: "R", 0x53: "S", 0x54: "T", 0x55: "U", 0x56: "V", 0x57: "W", 0x58: "X", 0x59: "Y",
    0x5A: "Z", 0x65: "\u20ac",
}

# A.3.10 Punjabi locking shift table.
PUNJABI_LOCKING = (
    "\u0a01\u0a02\u0a03\u0a05\u0a06\u0a07\u0a08\u0a09\u0a0a\ufffd\n\ufffd\ufffd\r\ufffd\u0a0f"  # 0x00
    "\u0a10\ufffd\ufffd\u0a13\u0a14\u0a15\u0a16\u0a17\u0a18\u0a19\u0a1a\x1b\u0a1b\u0a1c\u0a1d\u0a1e"  # 0x10
    " !\u0a1f\u0a20\u0a21\u0a22\u0a23\u0a24)(\u0a25\u0a26,\u0a27.\u0a28"  # 0x20
    "0123456789:;\ufffd\u0a2a\u0a2b?"  # 0x30
    "\u0a2c\u0a2d\u0a2e\u0a2f\u0a30\ufffd\u0a32\u0a33\ufffd\u0a35\u0a36\ufffd\u0a38\u0a39\u0a3c\ufffd"  # 0x40
    "\u0a3e\u0a3f\u0a40\u0a41\u0a42\ufffd\ufffd\ufffd\ufffd\u0a47\u0a48\ufffd\ufffd\u0a4b\u0a4c\u0a4d"  # 0x50
    "\u0a51abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u0a70\u0a71\u0a72\u0a73\u0a74"  # 0x70
)
# A.2.10 Punjabi single shift table.
PUNJABI_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x19: "\u0964", 0x1A: "\u0965",
    0x1C: "\u0a66", 0x1D: "\u0a67", 0x1E: "\u0a68", 0x1F: "\u0a69", 0x20: "\u0a6a",
    0x21: "\u0a6b", 0x22: "\u0a6c", 0x23: "\u0a6d", 0x24: "\u0a6e", 0x25: "\u0a6f",
    0x26: "\u0a59", 0x27: "\u0a5a", 0x28: "{", 0x29: "}", 0x2A: "\u0a5b", 0x2B: "\u0a5c",
    0x2C: "\u0a5e", 0x2D: "\u0a75", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|",
    0x41: "A", 0x42: "B", 0x43: "C", 0x44: "D", 0x45: "E", 0x46: "F", 0x47: "G", 0x48: "H",
    0x49: "I", 0x4A: "J", 0x4B: "K", 0x4C: "L", 0x4D: "M", 0x4E: "N", 0x4F: "O", 0x50: "P",
    0x51: "Q", 0x52: "R", 0x53: "S", 0x54: "T", 0x55: "U", 0x56: "V", 0x57: "W", 0x58: "X",
    0x59: "Y", 0x5A: "Z", 0x65: "\u20ac",
}

# A.3.11 Tamil locking shift table.
TAMIL_LOCKING = (
    "\ufffd\u0b82\u0b83\u0b85\u0b86\u0b87\u0b88\u0b89\u0b8a\ufffd\n\ufffd\ufffd\r\u0b8e\u0b8f"  # 0x00
    "\u0b90\ufffd\u0b92\u0b93\u0b94\u0b95\ufffd\ufffd\ufffd\u0b99\u0b9a\x1b\ufffd\u0b9c\ufffd\u0b9e"  # 0x10
    " !\u0b9f\ufffd\ufffd\ufffd\u0ba3\u0ba4)(\ufffd\ufffd,\ufffd.\u0ba8"  # 0x20
    "0123456789:;\u0ba9\u0baa\ufffd?"  # 0x30
    "\ufffd\ufffd\u0bae\u0baf\u0bb0\u0bb1\u0bb2\u0bb3\u0bb4\u0bb5\u0bb6\u0bb7\u0bb8\u0bb9\ufffd\ufffd"  # 0x40
    "\u0bbe\u0bbf\u0bc0\u0bc1\u0bc2\ufffd\ufffd\ufffd\u0bc6\u0bc7\u0bc8\ufffd\u0bca\u0bcb\u0bcc\u0bcd"  # 0x50
    "\u0bd0abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u0bd7\u0bf0\u0bf1\u0bf2\u0bf9"  # 0x70
)
# A.2.11 Tamil single shift table.
TAMIL_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x19: "\u0964", 0x1A: "\u0965",
    0x1C: "\u0be6", 0x1D: "\u0be7", 0x1E: "\u0be8", 0x1F: "\u0be9", 0x20: "\u0bea",
    0x21: "\u0beb", 0x22: "\u0bec", 0x23: "\u0bed", 0x24: "\u0bee", 0x25: "\u0bef",
    0x26: "\u0bf3", 0x27: "\u0bf4", 0x28: "{", 0x29: "}", 0x2A: "\u0bf5", 0x2B: "\u0bf6",
    0x2C: "\u0bf7", 0x2D: "\u0bf8", 0x2E: "\u0bfa", 0x2F: "\\", 0x3C: "[", 0x3D: "~",
    0x3E: "]", 0x40: "|", 0x41: "A", 0x42: "B", 0x43: "C", 0x44: "D", 0x45: "E", 0x46: "F",
    0x47: "G", 0x48: "H", 0x49: "I", 0x4A: "J", 0x4B: "K", 0x4C: "L", 0x4D: "M", 0x4E: "N",
    0x4F: "O", 0x50: "P", 0x51: "Q", 0x52: "R", 0x53: "S", 0x54: "T", 0x55: "U", 0x56: "V",
    0x57: "W", 0x58: "X", 0x59: "Y", 0x5A: "Z", 0x65: "\u20ac",
}

# A.3.12 Telugu locking shift table.
TELUGU_LOCKING = (
    "\u0c01\u0c02\u0c03\u0c05\u0c06\u0c07\u0c08\u0c09\u0c0a\u0c0b\n\u0c0c\ufffd\r\u0c0e\u0c0f"  # 0x00
    "\u0c10\ufffd\u0c12\u0c13\u0c14\u0c15\u0c16\u0c17\u0c18\u0c19\u0c1a\x1b\u0c1b\u0c1c\u0c1d\u0c1e"  # 0x10
    " !\u0c1f\u0c20\u0c21\u0c22\u0c23\u0c24)(\u0c25\u0c26,\u0c27.\u0c28"  # 0x20
    "0123456789:;\ufffd\u0c2a\u0c2b?"  # 0x30
    "\u0c2c\u0c2d\u0c2e\u0c2f\u0c30\u0c31\u0c32\u0c33\ufffd\u0c35\u0c36\u0c37\u0c38\u0c39\ufffd\u0c3d"  # 0x40
    "\u0c3e\u0c3f\u0c40\u0c41\u0c42\u0c43\u0c44\ufffd\u0c46\u0c47\u0c48\ufffd\u0c4a\u0c4b\u0c4c\u0c4d"  # 0x50
    "\u0c55abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u0c56\u0c60\u0c61\u0c62\u0c63"  # 0x70
)
# A.2.12 Telugu single shift table.
TELUGU_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x1C: "\u0c66", 0x1D: "\u0c67",
    0x1E: "\u0c68", 0x1F: "\u0c69", 0x20: "\u0c6a", 0x21: "\u0c6b", 0x22: "\u0c6c",
    0x23: "\u0c6d", 0x24: "\u0c6e", 0x25: "\u0c6f", 0x26: "\u0c58", 0x27: "\u0c59",
    0x28: "{", 0x29: "}", 0x2A: "\u0c78", 0x2B: "\u0c79", 0x2C: "\u0c7a", 0x2D: "\u0c7b",
    0x2E: "\u0c7c", 0x2F: "\\", 0x30: "\u0c7d", 0x31: "\u0c7e", 0x32: "\u0c7f", 0x3C: "[",
    0x3D: "~", 0x3E: "]", 0x40: "|", 0x41: "A", 0x42: "B", 0x43: "C", 0x44: "D", 0x45: "E",
    0x46: "F", 0x47: "G", 0x48: "H", 0x49: "I", 0x4A: "J", 0x4B: "K", 0x4C: "L", 0x4D: "M",
    0x4E: "N", 0x4F: "O", 0x50: "P", 0x51: "Q", 0x52: "R", 0x53: "S", 0x54: "T", 0x55: "U",
    0x56: "V", 0x57: "W", 0x58: "X", 0x59: "Y", 0x5A: "Z", 0x65: "\u20ac",
}

# A.3.13 Urdu locking shift table.
URDU_LOCKING = (
    "\u0627\u0622\u0628\u067b\u0680\u067e\u06a6\u062a\u06c2\u067f\n\u0679\u067d\r\u067a\u067c"  # 0x00
    "\u062b\u062c\u0681\u0684\u0683\u0685\u0686\u0687\u062d\u062e\u062f\x1b\u068c\u0688\u0689\u068a"  # 0x10
    " !\u068f\u068d\u0630\u0631\u0691\u0693)(\u0699\u0632,\u0696.\u0698"  # 0x20
    "0123456789:;\u069a\u0633\u0634?"  # 0x30
    "\u0635\u0636\u0637\u0638\u0639\u0641\u0642\u06a9\u06aa\u06ab\u06af\u06b3\u06b1\u0644\u0645\u0646"  # 0x40
    "\u06ba\u06bb\u06bc\u0648\u06c4\u06d5\u06c1\u06be\u0621\u06cc\u06d0\u06d2\u064d\u0650\u064f\u0657"  # 0x50
    "\u0654abcdefghijklmno"  # 0x60
    "pqrstuvwxyz\u0655\u0651\u0653\u0656\u0670"  # 0x70
)
# A.2.13 Urdu single shift table.
URDU_SINGLE = {
    0x00: "@", 0x01: "\u00a3", 0x02: "$", 0x03: "\u00a5", 0x04: "\u00bf", 0x05: "\"",
    0x06: "\u00a4", 0x07: "%", 0x08: "&", 0x09: "'", 0x0A: "\x0c", 0x0B: "*", 0x0C: "+",
    0x0E: "-", 0x0F: "/", 0x10: "<", 0x11: "=", 0x12: ">", 0x13: "\u00a1", 0x14: "^",
    0x15: "\u00a1", 0x16: "_", 0x17: "#", 0x18: "*", 0x19: "\u0600", 0x1A: "\u0601",
    0x1C: "\u06f0", 0x1D: "\u06f1", 0x1E: "\u06f2", 0x1F: "\u06f3", 0x20: "\u06f4",
    0x21: "\u06f5", 0x22: "\u06f6", 0x23: "\u06f7", 0x24: "\u06f8", 0x25: "\u06f9",
    0x26: "\u060c", 0x27: "\u060d", 0x28: "{", 0x29: "}", 0x2A: "\u060e", 0x2B: "\u060f",
    0x2C: "\u0610", 0x2D: "\u0611", 0x2E: "\u0612", 0x2F: "\\", 0x30: "\u0613",
    0x31: "\u0614", 0x32: "\u061b", 0x33: "\u061f", 0x34: "\u0640", 0x35: "\u0652",
    0x36: "\u0658", 0x37: "\u066b", 0x38: "\u066c", 0x39: "\u0672", 0x3A: "\u0673",
    0x3B: "\u06cd", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x3F: "\u06d4", 0x40: "|", 0x41: "A",
    0x42: "B", 0x43: "C", 0x44: "D", 0x45: "E", 0x46: "F", 0x47: "G", 0x48: "H", 0x49: "I",
    0x4A: "J", 0x4B: "K", 0x4C: "L", 0x4D: "M", 0x4E: "N", 0x4F: "O", 0x50: "P", 0x51: "Q",
    0x52: "R", 0x53: "S", 0x54: "T", 0x55: "U", 0x56: "V", 0x57: "W", 0x58: "X", 0x59: "Y",
    0x5A: "Z", 0x65: "\u20ac",
}

INDIC_LANGUAGES = (
    NationalLanguage("bn", 4, "Bengali", BENGALI_LOCKING, BENGALI_SINGLE),
    NationalLanguage("gu", 5, "Gujarati", GUJARATI_LOCKING, GUJARATI_SINGLE),
    NationalLanguage("hi", 6, "Hindi", HINDI_LOCKING, HINDI_SINGLE),
    NationalLanguage("kn", 7, "Kannada", KANNADA_LOCKING, KANNADA_SINGLE),
    NationalLanguage("ml", 8, "Malayalam", MALAYALAM_LOCKING, MALAYALAM_SINGLE),
    NationalLanguage("or", 9, "Oriya", ORIYA_LOCKING, ORIYA_SINGLE),
    NationalLanguage("pa", 10, "Punjabi", PUNJABI_LOCKING, PUNJABI_SINGLE),
    NationalLanguage("ta", 11, "Tamil", TAMIL_LOCKING, TAMIL_SINGLE),
    NationalLanguage("te", 12, "Telugu", TELUGU_LOCKING, TELUGU_SINGLE),
    NationalLanguage("ur", 13, "Urdu", URDU_LOCKING, URDU_SINGLE),
)
