"""Downscaling: a large JPEG is made to fit, aspect kept; what cannot fit is reported."""
import io

from PIL import Image

from gateway.mms.images import ShrinkPolicy, fit
from protocols.mm7.content import MediaItem, mm_size

from tests.gateway.mms.helpers import noisy_jpeg, png

TOLL_FREE = 525 * 1024


def test_large_jpeg_shrinks_under_toll_free_limit():
    data = noisy_jpeg()
    assert len(data) > 3 * TOLL_FREE
    result = fit("look at this", [MediaItem("image/jpeg", data)], TOLL_FREE)
    assert result.fits and result.changed
    assert result.size == mm_size("look at this", list(result.media)) <= TOLL_FREE
    image = Image.open(io.BytesIO(result.media[0].data))
    assert image.format == "JPEG"
    assert abs(image.width / image.height - 2400 / 1800) < 0.01
    assert max(image.size) >= ShrinkPolicy().min_side


def test_small_mm_is_left_alone():
    item = MediaItem("image/png", png(40, 30))
    result = fit("", [item], TOLL_FREE)
    assert result.fits and not result.changed and result.media == (item,)


def test_png_shrinks_and_stays_png():
    data = png(1200, 900)
    result = fit("", [MediaItem("image/png", data)], len(data) // 3)
    assert result.fits
    assert Image.open(io.BytesIO(result.media[0].data)).format == "PNG"


def test_unshrinkable_video_does_not_fit():
    video = MediaItem("video/mp4", b"\x00" * (TOLL_FREE + 1))
    result = fit("", [video], TOLL_FREE)
    assert not result.fits and not result.changed and result.size > TOLL_FREE


def test_floors_stop_the_shrinking():
    data = noisy_jpeg(800, 600)
    policy = ShrinkPolicy(min_quality=90, min_side=800)  # nothing may be lost
    result = fit("", [MediaItem("image/jpeg", data)], 20 * 1024, policy)
    assert not result.fits
    assert Image.open(io.BytesIO(result.media[0].data)).size == (800, 600)


def test_corrupt_image_is_not_shrinkable():
    result = fit("", [MediaItem("image/jpeg", b"\xff\xd8 not really" * 5000)], 1024)
    assert not result.fits and not result.changed
