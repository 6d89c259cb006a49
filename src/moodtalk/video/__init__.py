"""Media I/O on PyAV: probe files, read RGB frames and mono audio, write H.264 + AAC video.

Every bad input file raises ``moodtalk.errors.InputError(path, problem)``; FFmpeg's own
exceptions never escape. Still images (png/jpg/jpeg/bmp/webp) read as one-frame videos.
"""

from .audio import read_audio
from .frames import iter_frames, probe, read_frames
from .writer import VideoWriter, write_video

__all__ = ["VideoWriter", "iter_frames", "probe", "read_audio", "read_frames", "write_video"]
