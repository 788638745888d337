"""Rich values for `log()`: images, videos, audio, tables and histograms."""

from trackio.media.audio import Audio
from trackio.media.base import Media
from trackio.media.histogram import Histogram
from trackio.media.image import Image
from trackio.media.table import Table
from trackio.media.video import Video

__all__ = ["Audio", "Histogram", "Image", "Media", "Table", "Video"]
