"""Type stubs of the extension module (the typed API is in ``episcope/__init__.py``)."""

from typing import Any, List, Optional, Tuple

__version__: str

class EpiscopeError(Exception):
    """A dataset or recording could not be read, checked or converted."""

    path: Optional[str]

class EpisodeTable:
    """One episode's rows as an Arrow stream (Arrow PyCapsule interface), exported once."""

    num_rows: int
    def __arrow_c_stream__(self, requested_schema: Optional[Any] = None) -> Any: ...

def info_json(path: str) -> str: ...
def check_json(path: str, profile: Optional[str] = None, skip_hashes: bool = False) -> str: ...
def stats_json(path: str) -> str: ...
def check_partial_json(
    path: str, shard: Tuple[int, int], profile: Optional[str] = None, skip_hashes: bool = False
) -> str: ...
def stats_partial_json(path: str, shard: Tuple[int, int]) -> str: ...
def compare_json(reports: List[str], html: Optional[str] = None, lang: str = "en") -> str: ...
def merge_json(parts: List[str], dataset: Optional[str] = None, as_part: bool = False) -> str: ...
def report_json(
    path: str,
    html: Optional[str] = None,
    lang: str = "en",
    profile: Optional[str] = None,
    skip_hashes: bool = False,
) -> str: ...
def convert_json(
    src: str,
    out: str,
    mapping: Optional[str] = None,
    chunks_size: Optional[int] = None,
    data_files_size_in_mb: Optional[int] = None,
) -> str: ...
def read_episode_stream(path: str, index: int, features: Optional[List[str]] = None) -> EpisodeTable: ...
