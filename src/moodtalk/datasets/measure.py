"""Measure one clip for its training record: track and solve the face, compute the speech features.

This file is part of the records' fingerprint (``moodtalk.datasets.prepare.FINGERPRINTED``): change what it
computes and every record is rebuilt.
"""

from __future__ import annotations

import numpy as np

from moodtalk.datasets.layouts import Clip
from moodtalk.errors import InputError

PREPARE_FPS = 25.0
"""Frame rate of every record (video resampled by timestamps, audio features at the same rate)."""
MAX_SIZE = 512
"""Frames are downscaled so their longer side is at most this before tracking."""
SILENT_DBFS = -60.0
"""Audio whose loudest frame is below this is silent (a dead track, not speech)."""


def measure_clip(clip: Clip) -> dict[str, np.ndarray]:
    """Track, solve and measure one clip (the slow part of ``prepare``).

    Returns:
        The record's arrays: with a video ``landmarks`` (T, 478, 3) pixels, ``valid`` (T,), ``rotation``
        (T, 3, 3), ``translation`` (T, 3), ``scale`` (T,), ``blendshapes`` (T, 51), ``residual`` (T,),
        ``identity`` (478, 3); with sound ``mel`` (A, M) dB, ``rms`` (A,) dBFS, ``f0`` (A,) Hz,
        ``voiced`` (A,), ``speech`` (A,), ``spectral`` (A, S). T and A are frames at 25 fps.

    Raises:
        InputError: unreadable media, no face in any frame, silent sound.
    """
    from moodtalk.audio import speech_features
    from moodtalk.face import analyze_face
    from moodtalk.video import iter_frames, read_audio

    out: dict[str, np.ndarray] = {}
    if clip.video is not None:
        face = analyze_face(iter_frames(clip.video, fps=PREPARE_FPS, chunk=64, max_size=MAX_SIZE),
                            source=str(clip.video))  # fmt: skip
        out.update(landmarks=face.landmarks.points.astype(np.float32), valid=face.landmarks.valid,
                   rotation=face.pose.rotation, translation=face.pose.translation, scale=face.pose.scale,
                   blendshapes=face.blendshapes.weights.astype(np.float16), residual=face.residual,
                   identity=face.identity, image_size=np.array(face.pose.image_size))  # fmt: skip
    if clip.audio is not None:
        try:
            audio = read_audio(clip.audio)
        except InputError:
            if clip.video is None or clip.audio != clip.video:
                raise
            audio = None  # a video without a sound track: appearance and motion only
        if audio is not None:
            f = speech_features(audio, fps=PREPARE_FPS)
            if len(f) == 0 or float(np.max(f.rms)) < SILENT_DBFS:
                raise InputError(clip.audio, f"sound is silent (loudest frame below {SILENT_DBFS:.0f} dBFS)")
            out.update(mel=f.mel.astype(np.float16), rms=f.rms, f0=f.f0, voiced=f.voiced, speech=f.speech,
                       spectral=f.spectral, spectral_names=np.array(f.spectral_names))  # fmt: skip
    if not out:
        raise InputError(clip.video or clip.audio, "has neither a usable video nor sound")
    return out
