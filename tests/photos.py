"""Real photos for tests: scikit-image's sample photos (see ``host_tools.data.sample_photos``)."""

from host_tools.data.sample_photos import PHOTOS, photo, photo_bytes, write_photo

__all__ = ["PHOTOS", "photo", "photo_bytes", "write_photo"]
