"""Pure geometry helpers shared by stages: rigid alignment, rotations, filters."""

from moodtalk.geometry.filters import one_euro_filter
from moodtalk.geometry.rigid import euler_to_matrix, matrix_to_euler, similarity_procrustes

__all__ = ["euler_to_matrix", "matrix_to_euler", "one_euro_filter", "similarity_procrustes"]
