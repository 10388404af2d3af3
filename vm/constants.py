"""Numbers every part of the VM shares, defined once: a leaf module that imports nothing.

The interpreter (``interpreter``), the translator (``translator``, its ``emitter``), the fast
callers (``fastcall``) and the FP code (``semantics``, ``fpu``, ``fpinline``) import these
downwards; a generated region or caller writes them into its source with ``hex(...)``.
"""

__all__ = ["EXIT_ADDR", "NEVER", "M", "S", "HI32", "BOX"]

#: The return address of a vmcall: no code can ever live there. A guest call returns to the
#: host when its pc reaches it.
EXIT_ADDR = 0xFFFF_FFFF_FFFF_F000
#: An instruction limit no run reaches: "no budget".
NEVER = 1 << 200
#: A register's 64 bits.
M = (1 << 64) - 1
#: The sign bit of a 64-bit register.
S = 1 << 63
#: The upper 32 bits of a register (what a sign-extended negative word sets).
HI32 = 0xFFFF_FFFF_0000_0000
#: NaN-boxing: the upper 32 bits of an f register holding a single (all ones).
BOX = 0xFFFF_FFFF_0000_0000
