"""The translating engine: guest code to Python functions, compiled once, shared, run many times.

- ``engine``: the dispatcher (the interpreter's block loop, entering regions), what to
  translate and when.
- ``cache``: the translations, shared by every live machine running the same code.
- ``runtime``: what generated code calls at run time and the per-machine state it reads.
- ``hosthelpers``: libc's memory and string functions run on the host.

The emitter is ``vm.translator.emitter`` (region planning and Python source generation).
"""

from .cache import TranslationCache
from .engine import HOT_THRESHOLD, TranslatingEngine

__all__ = ["TranslatingEngine", "TranslationCache", "HOT_THRESHOLD"]
