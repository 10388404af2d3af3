"""The translating engine: guest code to Python functions, compiled once, shared, run many times.

- ``engine``: the dispatcher, what to translate and when, the shared translation caches.
- ``runtime``: what generated code calls at run time and the per-machine state it reads.
- ``hosthelpers``: libc's memory and string functions run on the host.

The emitter is ``vm.codegen`` (region planning and Python source generation).
"""

from .engine import HOT_THRESHOLD, TranslatingEngine, TranslationCache

__all__ = ["TranslatingEngine", "TranslationCache", "HOT_THRESHOLD"]
