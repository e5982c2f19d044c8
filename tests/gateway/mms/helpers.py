"""Shared bits for the MM7 tests: generated pictures, message rows, carriers."""
from __future__ import annotations

import io
import os
import random

from PIL import Image

from gateway.config.model import CarrierConfig, Mm7Settings


def noisy_jpeg(width=2400, height=1800, quality=95, seed=1) -> bytes:
    """A photo-sized JPEG that compresses badly (random noise): worst case."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(width=400, height=300) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "PNG")
    return out.getvalue()


def carrier(url: str, name: str = "att-mm7", **settings) -> CarrierConfig:
    return CarrierConfig(name=name, protocol="mm7", routes=("+1",),
                         mm7=Mm7Settings(url=url, vasp_id="vasp", vas_id="vas", service_code="svc",
                                         **settings))


def row(sid="MM" + "0" * 32, sender="+15550001111", to="+15552223333", body="hello", media=()):
    return {"sid": sid, "from_": sender, "to": to, "body": body, "media_list": list(media),
            "expires_at": None}
